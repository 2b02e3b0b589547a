import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isOurRedis, readPid, removePid, terminate } from '../util/pids.js';
import type { StateDir } from '../state/state-dir.js';

export interface SweptProcess {
  name: string;
  pid: number;
  result: 'exited' | 'killed' | 'gone';
}

/**
 * Stops redis processes left by a supervisor that died without cleaning up. Only PIDs recorded in
 * this state dir, and only if that PID is still a redis binary working inside this state dir.
 */
export async function sweepOrphans(dir: StateDir, graceMs: number): Promise<SweptProcess[]> {
  const found = new Map<number, string>();
  if (existsSync(dir.runDir)) {
    for (const f of readdirSync(dir.runDir)) {
      if (!f.endsWith('.pid')) continue;
      const pid = readPid(path.join(dir.runDir, f));
      if (pid !== undefined) found.set(pid, f.slice(0, -4));
      else removePid(path.join(dir.runDir, f));
    }
  }
  // Redis's own pid files, in case our record was lost.
  for (const kind of ['node', 'sentinel'] as const) {
    const base = path.dirname(dir.memberDir(kind, 'x'));
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const pid = readPid(path.join(base, name, kind === 'node' ? 'redis.pid' : 'sentinel.pid'));
      if (pid !== undefined && !found.has(pid)) found.set(pid, name);
    }
  }
  const swept: SweptProcess[] = [];
  const sentinelsDir = path.dirname(dir.memberDir('sentinel', 'x'));
  const stopAll = (entries: [number, string][]): Promise<unknown> =>
    Promise.all(
      entries.map(async ([pid, name]) => {
        if (isOurRedis(pid, dir.root))
          swept.push({ name, pid, result: await terminate(pid, graceMs) });
        removePid(dir.childPidFile(name));
      }),
    );
  // Sentinels first, so none of them fails over while the nodes stop.
  const all = [...found];
  const isSentinel = ([, name]: [number, string]): boolean =>
    existsSync(path.join(sentinelsDir, name));
  await stopAll(all.filter(isSentinel));
  await stopAll(all.filter((e) => !isSentinel(e)));
  return swept;
}
