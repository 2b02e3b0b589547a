import { readPid } from '../runtime/pids.js';
import type { StateDir } from '../runtime/state-dir.js';

export const FAULTS = ['kill', 'freeze', 'switchover', 'kill-replica', 'kill-sentinel'] as const;
export type Fault = (typeof FAULTS)[number];

/** The PID the supervisor recorded for a member (the drill acts on a local topology). */
export function pidOf(dir: StateDir, member: string): number {
  const pid = readPid(dir.childPidFile(member));
  if (pid === undefined) throw new Error(`no running process recorded for ${member}`);
  return pid;
}
