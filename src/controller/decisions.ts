import type { SavedReplication } from '../backends/rdb-header.js';
import type { InfoMap } from '../redis/info.js';
import type { BoundTopology, PersistenceMode } from '../topology/model.js';
import type { NodeObs } from '../view/observation.js';

/**
 * What to do when the primary's process has exited. Pure, and the heart of "never lose data":
 * - a replica holding a complete copy exists: never restart the old primary as a primary (an
 *   empty or stale restart would become the source of a resync); wait for Sentinel's failover;
 * - no replica holds a complete copy: the old primary's own files are the best copy left;
 *   restart it as primary (with persistence off, nothing is left: say so).
 */
export type PrimaryExitDecision =
  | { action: 'wait-for-failover'; candidates: string[] }
  | { action: 'restart-as-primary'; reason: string; dataLost: boolean };

export function decideOnPrimaryExit(input: {
  persistence: PersistenceMode;
  /** Replicas that completed a sync since their last start, are running, and may be promoted. */
  syncedReplicas: readonly string[];
}): PrimaryExitDecision {
  if (input.syncedReplicas.length > 0) {
    return { action: 'wait-for-failover', candidates: [...input.syncedReplicas] };
  }
  if (input.persistence === 'none') {
    return {
      action: 'restart-as-primary',
      reason:
        'no replica holds a complete copy and persistence is off: the dataset is lost; restarting empty',
      dataLost: true,
    };
  }
  return {
    action: 'restart-as-primary',
    reason: `no replica holds a complete copy; restarting as primary from its own ${input.persistence.toUpperCase()} files`,
    dataLost: false,
  };
}

/**
 * The replicas, not confirmed synced right now (the view lost sight of one for a moment: a
 * blip, a short freeze), that still hold at least what the dead primary's RDB holds: fully
 * loaded replicas of it, at or past the file's offset in the same history; with no file (or
 * one saved before any replica: no history in it), any of them, since its sync came after.
 * Promoting one loses nothing the files would have kept, where restarting from an older (or
 * no) RDB would throw away every write since and full-resync the replica from it. Only for
 * RDB files (an AOF keeps writes up to the crash: the files win). Pure.
 */
export function replicasAheadOfFiles(
  persistence: PersistenceMode,
  saved: SavedReplication | undefined,
  dead: { host: string; port: number },
  replicas: readonly { name: string; info: InfoMap | undefined }[],
): string[] {
  if (persistence !== 'rdb') return [];
  return replicas
    .filter(({ info: i }) => {
      if (!i || i['role'] !== 'slave' || i['master_sync_in_progress'] !== '0') return false;
      if (i['master_host'] !== dead.host || i['master_port'] !== String(dead.port)) return false;
      if (!saved) return Number(i['master_repl_offset']) > 0;
      return i['master_replid'] === saved.replid && Number(i['master_repl_offset']) >= saved.offset;
    })
    .map((r) => r.name);
}

/**
 * Sentinel promoted `promoted`. The old primary may rejoin as its replica only if the promoted
 * node had completed its sync: rejoining an incomplete primary would wipe the old one's data.
 */
export type RejoinDecision = { action: 'rejoin' } | { action: 'hold'; reason: string };

export function decideRejoin(input: {
  promoted: string;
  promotedWasSynced: boolean;
  oldPrimary: string;
}): RejoinDecision {
  if (input.promotedWasSynced) return { action: 'rejoin' };
  return {
    action: 'hold',
    reason:
      `Sentinel promoted ${input.promoted} before it had finished syncing: it may be missing data. ` +
      `${input.oldPrimary} is kept stopped so its files are not overwritten by a resync; ` +
      `inspect both, then restart it with \`redis-ha down\` + \`redis-ha up\``,
  };
}

/**
 * Whether a node restarted from `saved` (its RDB's history) gets only the writes since from a
 * primary whose INFO replication is `info`: the checks of replication.c's
 * masterTryPartialResynchronization, made before the restart so that files which cannot resync
 * partially are set aside instead of being loaded for nothing. Pure.
 */
export function resyncsPartially(saved: SavedReplication | undefined, info: InfoMap): boolean {
  if (!saved) return false;
  const want = saved.offset + 1; // PSYNC asks for the byte after the last one it has
  const second = Number(info['second_repl_offset']);
  const sameHistory =
    saved.replid === info['master_replid'] ||
    (saved.replid === info['master_replid2'] && want <= second);
  const first = Number(info['repl_backlog_first_byte_offset']);
  const histlen = Number(info['repl_backlog_histlen']);
  const inBacklog = info['repl_backlog_active'] === '1' && want >= first && want <= first + histlen;
  return sameHistory && inBacklog;
}

/** Exponential restart backoff, reset once a child has stayed up for `stableMs`. Pure. */
export function nextBackoff(
  prevAttempts: number,
  uptimeMs: number,
  minMs: number,
  maxMs: number,
  stableMs = 10_000,
): { attempts: number; delayMs: number } {
  const attempts = uptimeMs >= stableMs ? 0 : prevAttempts + 1;
  const delayMs = attempts === 0 ? minMs : Math.min(maxMs, minMs * 2 ** attempts);
  return { attempts, delayMs };
}

/**
 * The write quorum (min-replicas-to-write) the confirmed primary should have now: the
 * topology's, lowered to the replicas able to confirm writes (synced, online on the primary,
 * acknowledging within minReplicasMaxLag) when singleCopyWrites allows it. Called only for the
 * node the view confirms: an old primary cut off with a minority keeps the topology's. Pure.
 */
export function writeQuorum(
  t: Pick<BoundTopology, 'replication' | 'nodes'>,
  primary: Pick<NodeObs, 'name' | 'acks'> | undefined,
  synced: (name: string) => boolean,
): number {
  const { minReplicasToWrite: n, minReplicasMaxLagMs: maxLag, singleCopyWrites } = t.replication;
  if (!singleCopyWrites || n === 0) return n;
  const confirming = t.nodes.filter((r) => {
    if (r.name === primary?.name || !synced(r.name)) return false;
    const ack = primary?.acks?.find((a) => a.port === r.port && a.ip === r.host);
    return ack?.state === 'online' && (ack.lag ?? 0) * 1000 <= maxLag;
  }).length;
  return Math.min(n, confirming);
}

/**
 * Whether a replica's full sync waits behind a snapshot on the primary: Redis starts a sync's
 * fork only once the running BGSAVE ends (at 4 GB on 2 cores a save takes ~3 min, and `save 60 1`
 * keeps one running almost always). Which fork it is (a disk save, or the diskless stream of
 * another sync) only the process table tells: the backend checks. Pure.
 */
export function syncWaitsForSnapshot(
  primary: Pick<NodeObs, 'snapshotInProgress' | 'acks'>,
): boolean {
  return (
    primary.snapshotInProgress === true &&
    (primary.acks ?? []).some((a) => a.state === 'wait_bgsave')
  );
}
