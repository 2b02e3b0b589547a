/**
 * The typed events a cluster view publishes, derived from two successive analyses: the same kinds
 * the Sentinel view has (primary confirmed / leaving, replica synced, quorum lost), per shard. Pure.
 */
import type { ClusterView, MemberView, ShardView } from './analyze.js';

export type ClusterEvent =
  /** The shard's slot owner is named by the majority map, answers as primary, unflagged. */
  | { type: 'primary-confirmed'; shard: string; node: string; configEpoch?: number | undefined }
  /** The confirmed primary stopped being so: first sign, or a replica took its slots. */
  | {
      type: 'primary-leaving';
      shard: string;
      node: string;
      reason: 'replaced' | 'fail' | 'pfail' | 'unreachable' | 'not-primary';
    }
  | { type: 'replica-synced'; shard: string; node: string; primary: string }
  | { type: 'replica-lost'; shard: string; node: string }
  /** Fewer than a majority of slot-owning primaries reachable and unflagged. */
  | { type: 'quorum-lost'; reachable: number; needed: number }
  | { type: 'quorum-regained'; reachable: number; needed: number };

function leavingReason(
  before: ShardView,
  after: ShardView | undefined,
): Extract<ClusterEvent, { type: 'primary-leaving' }>['reason'] {
  if (after?.primary !== undefined && after.primary !== before.primary) return 'replaced';
  const m: MemberView | undefined = after?.members.find((x) => x.name === before.primary);
  if (m?.flags.includes('fail')) return 'fail';
  if (m?.flags.includes('pfail')) return 'pfail';
  return !m || !m.reachable ? 'unreachable' : 'not-primary';
}

function shardEvents(before: ShardView | undefined, after: ShardView): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const wasConfirmed = before?.primaryConfirmed === true;
  const samePrimary = before?.primary === after.primary;
  if (before && wasConfirmed && before.primary && (!after.primaryConfirmed || !samePrimary))
    out.push({
      type: 'primary-leaving',
      shard: after.name,
      node: before.primary,
      reason: leavingReason(before, after),
    });
  if (after.primaryConfirmed && after.primary && (!wasConfirmed || !samePrimary))
    out.push({
      type: 'primary-confirmed',
      shard: after.name,
      node: after.primary,
      configEpoch: after.configEpoch,
    });
  for (const m of after.members) {
    const was = before?.members.find((x) => x.name === m.name)?.synced === true;
    if (m.synced && !was)
      out.push({
        type: 'replica-synced',
        shard: after.name,
        node: m.name,
        primary: m.following ?? '?',
      });
    if (!m.synced && was) out.push({ type: 'replica-lost', shard: after.name, node: m.name });
  }
  return out;
}

/** What changed from `before` (undefined: the first look) to `after`, in shard order. */
export function clusterEvents(before: ClusterView | undefined, after: ClusterView): ClusterEvent[] {
  const out = after.shards.flatMap((s) =>
    shardEvents(
      before?.shards.find((x) => x.name === s.name),
      s,
    ),
  );
  const p = after.primaries;
  if ((before?.primaries.quorum ?? true) && !p.quorum)
    out.push({ type: 'quorum-lost', reachable: p.reachable, needed: p.needed });
  if (before && !before.primaries.quorum && p.quorum)
    out.push({ type: 'quorum-regained', reachable: p.reachable, needed: p.needed });
  return out;
}
