import { readFileSync } from 'node:fs';
import { readPid } from '../util/pids.js';

/**
 * Redis names its fork children by what they do: `redis-rdb-bgsave` writes a snapshot to disk,
 * `redis-rdb-to-slaves` streams a diskless full sync. Only the first is ever stopped here.
 */
const DISK_SNAPSHOT = /^redis-rdb-bgsave\b/;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The children of `pid` (Linux: /proc/PID/task/PID/children). */
function childrenOf(pid: number): number[] {
  const text = read(`/proc/${pid}/task/${pid}/children`) ?? '';
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Stops the disk snapshot (BGSAVE) child of the redis-server `pid`, if it has one, with SIGUSR1:
 * the signal Redis itself uses to cancel a save, which it does not count as a failed save
 * (`rdb_last_bgsave_status` stays ok; the next save point takes a new one). Returns its pid.
 */
export function stopDiskSnapshot(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  for (const child of childrenOf(pid)) {
    const title = (read(`/proc/${child}/cmdline`) ?? '').replace(/\0/g, ' ');
    if (!DISK_SNAPSHOT.test(title)) continue;
    try {
      process.kill(child, 'SIGUSR1');
      return child;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The pid a rendered redis.conf's `pidfile` names, if the file is there. */
export function pidFromConfig(conf: string): number | undefined {
  const file = /^pidfile "?([^"\n]+)"?$/m.exec(conf)?.[1];
  return file === undefined ? undefined : readPid(file);
}
