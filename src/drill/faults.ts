import { readPid } from '../runtime/pids.js';
import type { StateDir } from '../runtime/state-dir.js';

export const FAULTS = [
  'kill',
  'freeze',
  'switchover',
  'kill-replica',
  'kill-sentinel',
  'partition',
  'host-freeze',
  'partition-heal',
] as const;
/** Faults that need hosts of their own (`redis-ha lab up`). */
export const LAB_FAULTS: readonly Fault[] = ['partition', 'host-freeze', 'partition-heal'];
export type Fault = (typeof FAULTS)[number];

/** The PID the supervisor recorded for a member (the drill acts on a local topology). */
export function pidOf(dir: StateDir, member: string): number {
  const pid = readPid(dir.childPidFile(member));
  if (pid === undefined) throw new Error(`no running process recorded for ${member}`);
  return pid;
}
