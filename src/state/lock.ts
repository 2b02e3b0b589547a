import { readFileSync, existsSync } from 'node:fs';
import { RedisHaError } from '../errors/errors.js';
import { isAlive } from '../util/pids.js';
import { readJson, writeJsonAtomic, type StateDir } from './state-dir.js';
import { rmSync } from 'node:fs';

interface LockRecord {
  pid: number;
  /** /proc start time: a reused PID has another one. */
  startTime: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The live supervisor of this state dir, if any. */
export function runningSupervisor(dir: StateDir): number | undefined {
  if (!existsSync(dir.supervisorPidFile)) return undefined;
  let rec: LockRecord | undefined;
  try {
    rec = readJson<LockRecord>(dir.supervisorPidFile);
  } catch {
    return undefined;
  }
  if (!rec || !isAlive(rec.pid) || startTimeOf(rec.pid) !== rec.startTime) return undefined;
  return rec.pid;
}

/** Takes the state dir for this process; a second supervisor on the same dir is refused. */
export function acquireLock(dir: StateDir): void {
  const other = runningSupervisor(dir);
  if (other !== undefined && other !== process.pid) {
    throw new RedisHaError(
      'ALREADY_RUNNING',
      `a supervisor (pid ${other}) already runs this topology from ${dir.root}`,
      {
        hint: 'use `redis-ha status` to look at it, or `redis-ha down` to stop it first',
        details: { pid: other },
      },
    );
  }
  dir.ensure();
  writeJsonAtomic(
    dir.supervisorPidFile,
    { pid: process.pid, startTime: startTimeOf(process.pid) ?? '' },
    0o600,
  );
}

export function releaseLock(dir: StateDir): void {
  if (runningSupervisor(dir) === process.pid || !existsSync(dir.supervisorPidFile)) {
    rmSync(dir.supervisorPidFile, { force: true });
  }
}
