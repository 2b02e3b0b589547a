/**
 * What forming the cluster still needs, decided from snapshots of every node: config epochs for
 * fresh nodes, slot ranges for primaries, MEETs, REPLICATEs. Pure, and idempotent by construction:
 * a formed cluster yields an empty plan, and nothing here ever moves or resets an assigned slot.
 */
import { RedisHaError } from '../errors/errors.js';
import type { ShardSpec } from '../topology/model.js';
import type { NodeSnapshot } from './analyze.js';
import { formatSlots, splitSlots, type ClusterNodeEntry, type SlotRange } from './parse.js';

export interface FormationPlan {
  /** Every node knows only itself, owns nothing, has epoch 0: a new cluster. */
  fresh: boolean;
  /** The node everyone MEETs (already in the formed part, if any). */
  seed: string;
  epochs: { node: string; epoch: number }[];
  slots: { node: string; shard: string; range: SlotRange }[];
  /** Nodes that must MEET the seed. */
  meet: string[];
  /** Replicas to attach once they know their primary: by node name, primary by shard. */
  replicate: { node: string; shard: string }[];
}

const self = (s: NodeSnapshot): ClusterNodeEntry | undefined => s.nodes?.find((e) => e.myself);

export function isFresh(s: NodeSnapshot): boolean {
  const me = self(s);
  return (
    !!me &&
    (s.nodes?.length ?? 0) === 1 &&
    me.slots.length === 0 &&
    me.role === 'primary' &&
    me.configEpoch === 0 &&
    (s.info?.currentEpoch ?? 0) === 0
  );
}

function overlaps(a: SlotRange, b: SlotRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

type Get = (name: string) => NodeSnapshot;

/** Slot ranges (and fresh epochs) for shards that own no slots; never a slot someone holds. */
function slotSteps(
  layout: readonly ShardSpec[],
  get: Get,
  fresh: boolean,
): Pick<FormationPlan, 'slots' | 'epochs'> {
  const all = layout.flatMap((sh) => [sh.primary, ...sh.replicas].map(get));
  const claims = all.flatMap((s) => (s.nodes ?? []).filter((e) => e.role === 'primary'));
  const ranges = splitSlots(layout.length);
  const out: Pick<FormationPlan, 'slots' | 'epochs'> = { slots: [], epochs: [] };
  let epoch = Math.max(0, ...all.map((s) => s.info?.currentEpoch ?? 0));
  layout.forEach((sh, i) => {
    if ([sh.primary, ...sh.replicas].some((n) => (self(get(n))?.slots.length ?? 0) > 0)) return;
    const range = ranges[i] ?? { start: 0, end: 0 };
    const taken = claims.find((e) => e.slots.some((r) => overlaps(r, range)));
    if (taken)
      throw new RedisHaError(
        'UNHEALTHY',
        `shard ${sh.name} owns no slots, and its range ${formatSlots([range])} is held by node ${taken.id}: the topology's shards no longer match the cluster`,
        {
          hint: 'resharding is not supported yet: restore the previous topology, or start from an empty state dir',
        },
      );
    const primary = get(sh.primary);
    if (self(primary)?.role !== 'primary')
      throw new RedisHaError(
        'UNHEALTHY',
        `${sh.primary} is a replica, yet shard ${sh.name} owns no slots`,
        {
          hint: 'inspect with `redis-ha status`; a half-formed cluster is safest recreated from an empty state dir',
        },
      );
    out.slots.push({ node: sh.primary, shard: sh.name, range });
    if (isFresh(primary)) out.epochs.push({ node: sh.primary, epoch: fresh ? i + 1 : ++epoch });
  });
  // redis-cli gives every node of a new cluster its own epoch; so do we (replicas after primaries).
  if (fresh)
    layout
      .flatMap((sh) => sh.replicas)
      .forEach((r, j) => out.epochs.push({ node: r, epoch: layout.length + j + 1 }));
  return out;
}

export function planFormation(
  layout: readonly ShardSpec[],
  snaps: readonly NodeSnapshot[],
): FormationPlan {
  const byName = new Map(snaps.map((s) => [s.name, s]));
  const get: Get = (name) => {
    const s = byName.get(name);
    if (!s?.reachable || !self(s))
      throw new RedisHaError('UNHEALTHY', `cannot plan the cluster: ${name} did not answer`, {
        hint: `see \`redis-ha logs ${name}\``,
      });
    return s;
  };
  const all = layout.flatMap((sh) => [sh.primary, ...sh.replicas].map(get));
  const fresh = all.every(isFresh);
  // The node that knows the most: already in the formed part, if there is one.
  const seed = [...all].sort((a, b) => (b.nodes?.length ?? 0) - (a.nodes?.length ?? 0))[0];
  if (!seed) throw new RedisHaError('INTERNAL', 'a cluster topology without nodes');
  const { slots, epochs } = slotSteps(layout, get, fresh);
  // By id: a node back without nodes.conf has a new id at a known address.
  const seedKnows = new Set(
    (seed.nodes ?? []).filter((e) => !e.flags.includes('handshake')).map((e) => e.id),
  );
  const meet = all.filter((s) => s !== seed && !seedKnows.has(s.myId ?? '')).map((s) => s.name);
  // An empty primary that will own nothing joins its shard (a replica as created, or a node
  // back without nodes.conf); a node that already replicates anyone is left alone.
  const replicate = layout.flatMap((sh) =>
    [sh.primary, ...sh.replicas]
      .filter((name) => {
        const me = self(get(name));
        return (
          me?.role === 'primary' && me.slots.length === 0 && !slots.some((x) => x.node === name)
        );
      })
      .map((node) => ({ node, shard: sh.name })),
  );
  return { fresh, seed: seed.name, epochs, slots, meet, replicate };
}
