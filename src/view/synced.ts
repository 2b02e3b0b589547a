import type { NodeSpec } from '../topology/model.js';
import type { NodeObs, Observation } from './observation.js';

/** Offsets differ a little under write load: a replica this close counts as caught up. */
export const SYNC_LAG_BYTES = 1024 * 1024;

export type SyncVerdict =
  | { synced: true }
  /** `stream`: everything holds but the primary has no ACK from it yet (see below). */
  | { synced: false; reason: string; why: SyncGap };

/**
 * Why a replica is not synced. The first four mean its copy is gone or going (it restarted,
 * follows someone else, or resyncs); the others only that it cannot be confirmed right now.
 */
export type SyncGap =
  'down' | 'role' | 'follows' | 'syncing' | 'link' | 'primary' | 'lag' | 'stream';

/** A replica once synced stays so (its copy is complete) unless the gap means the copy is gone. */
export function losesSync(why: SyncGap): boolean {
  return why === 'down' || why === 'role' || why === 'follows' || why === 'syncing';
}

/**
 * The one definition of "synced" in redis-ha: the replica follows the confirmed primary with its
 * link up and no sync in progress, its offset is caught up (within `lagLimit` bytes: 0 for the
 * waits of `up`), and the primary confirms its stream. After a diskless sync Redis lists the
 * replica online but holds its command stream until the replica's first REPLCONF ACK (up to 1 s
 * later), while the replica already says link up: writes in that window exist on the primary
 * only. An ACK offset above 0 proves the stream flows (a PUBLISH + WAIT makes one arrive at
 * once, see redis/streaming.ts). Pure.
 */
export function syncOf(
  replica: NodeObs | undefined,
  primary: NodeObs | undefined,
  at: { name: string; host: string; port: number },
  self: { host: string; port: number },
  lagLimit = SYNC_LAG_BYTES,
): SyncVerdict {
  const no = (
    why: Extract<SyncVerdict, { synced: false }>['why'],
    reason: string,
  ): SyncVerdict => ({
    synced: false,
    why,
    reason,
  });
  if (!replica?.reachable) return no('down', 'is unreachable');
  if (replica.role !== 'slave') return no('role', `reports role:${replica.role ?? '?'}`);
  if (replica.masterHost !== at.host || replica.masterPort !== at.port)
    return no('follows', `follows ${replica.masterHost ?? '?'}:${replica.masterPort ?? '?'}`);
  if (replica.syncInProgress) return no('syncing', 'is syncing');
  if (!replica.linkUp) return no('link', 'has its replication link down');
  if (!primary?.reachable || primary.role !== 'master')
    return no('primary', `cannot be confirmed: ${at.name} does not answer as a primary`);
  const lag = Math.max(0, primary.offset - replica.offset);
  if (lag > lagLimit) return no('lag', `is ${lag} bytes behind`);
  const ack = primary.acks?.find((a) => a.port === self.port && a.ip === self.host);
  if (!ack || ack.state !== 'online' || ack.offset <= 0)
    return no(
      'stream',
      'the primary holds its stream until its first ACK (writes would not reach it yet)',
    );
  return { synced: true };
}

/**
 * Which replicas are synced with the confirmed primary after a look, by name with the run id of
 * the process that synced: newly synced by the rule above, or synced before by the same process
 * and still holding its copy (a link blip, a dead primary). Also the replicas whose stream is
 * all that is missing (a PUBLISH + WAIT makes it arrive now). Pure.
 */
export function nextSynced(
  prev: ReadonlyMap<string, string | undefined>,
  obs: Observation,
  primary: NodeSpec<number> | undefined,
  nodes: readonly NodeSpec<number>[],
): { synced: Map<string, string | undefined>; awaitingStream: NodeSpec<number>[] } {
  if (!primary) return { synced: new Map(prev), awaitingStream: [] };
  const byName = new Map(obs.nodes.map((n) => [n.name, n]));
  const synced = new Map<string, string | undefined>();
  const awaitingStream: NodeSpec<number>[] = [];
  for (const n of nodes) {
    if (n.name === primary.name) continue;
    const o = byName.get(n.name);
    const s = syncOf(o, byName.get(primary.name), primary, n);
    // The same process as when it synced: a restart (a new run id) starts from nothing.
    const kept =
      prev.has(n.name) && prev.get(n.name) === o?.runId && !s.synced && !losesSync(s.why);
    if (s.synced || kept) synced.set(n.name, o?.runId);
    else if (s.why === 'stream') awaitingStream.push(n);
  }
  return { synced, awaitingStream };
}

/**
 * The primary acknowledges writes that exist on it alone: it enforces no write quorum (INFO has
 * no min_slaves_good_slaves) although the topology asks for one, i.e. the controller lowered it
 * while no replica could confirm writes (replication.singleCopyWrites). Pure.
 */
export function singleCopy(
  t: { replication: { minReplicasToWrite: number } },
  primary: NodeObs | undefined,
): boolean {
  return (
    t.replication.minReplicasToWrite > 0 &&
    primary?.reachable === true &&
    primary.role === 'master' &&
    primary.quorumEnforced === false
  );
}
