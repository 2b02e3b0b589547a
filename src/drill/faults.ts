import { readPid } from '../util/pids.js';
import type { StateDir } from '../state/state-dir.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import type { BoundTopology } from '../topology/model.js';

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

/** Resolves once a node other than `primary` is the confirmed primary; bounded by a failover. */
export function failedOverFrom(
  t: BoundTopology,
  watcher: ClusterView,
  primary: string,
): Promise<true> {
  return waitFor(
    () => Promise.resolve(watcher.primary && watcher.primary.name !== primary ? true : undefined),
    {
      timeoutMs: t.sentinel.downAfterMs + t.sentinel.failoverTimeoutMs + 10_000,
      intervalMs: 20,
      what: `a failover away from ${primary}`,
    },
  );
}
