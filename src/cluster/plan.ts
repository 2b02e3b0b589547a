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

export function planFormation(
  layout: readonly ShardSpec[],
  snaps: readonly NodeSnapshot[],
): FormationPlan {
  const byName = new Map(snaps.map((s) => [s.name, s]));
  const get = (name: string): NodeSnapshot => {
    const s = byName.get(name);
    if (!s?.reachable || !self(s))
      throw new RedisHaError('UNHEALTHY', `cannot plan the cluster: ${name} did not answer`, {
        hint: `see \`redis-ha logs ${name}\``,
      });
    return s;
  };
  const all = layout.flatMap((sh) => [sh.primary, ...sh.replicas].map(get));
  const fresh = all.every(isFresh);
  const seed = [...all].sort((a, b) => (b.nodes?.length ?? 0) - (a.nodes?.length ?? 0))[0];
  if (!seed) throw new RedisHaError('INTERNAL', 'a cluster topology without nodes');
  const claims = all.flatMap((s) => (s.nodes ?? []).filter((e) => e.role === 'primary'));
  const ranges = splitSlots(layout.length);
  const plan: FormationPlan = {
    fresh,
    seed: seed.name,
    epochs: [],
    slots: [],
    meet: [],
    replicate: [],
  };
  let epoch = Math.max(0, ...all.map((s) => s.info?.currentEpoch ?? 0));
  layout.forEach((sh, i) => {
    const members = [sh.primary, ...sh.replicas].map(get);
    const owner = members.find((s) => (self(s)?.slots.length ?? 0) > 0);
    if (owner) return;
    const range = ranges[i] ?? { start: 0, end: 0 };
    const taken = claims.filter((e) => e.slots.some((r) => overlaps(r, range)));
    if (taken.length > 0)
      throw new RedisHaError(
        'UNHEALTHY',
        `shard ${sh.name} owns no slots, and its range ${formatSlots([range])} is held by node ${taken[0]?.id ?? '?'}: the topology's shards no longer match the cluster`,
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
    plan.slots.push({ node: sh.primary, shard: sh.name, range });
    if (isFresh(primary)) plan.epochs.push({ node: sh.primary, epoch: fresh ? i + 1 : ++epoch });
  });
  if (fresh)
    layout
      .flatMap((sh) => sh.replicas)
      .forEach((r, j) => plan.epochs.push({ node: r, epoch: layout.length + j + 1 }));
  const seedKnows = new Set(
    (seed.nodes ?? [])
      .filter((e) => !e.flags.includes('handshake'))
      .map((e) => `${e.ip}:${e.port}`),
  );
  plan.meet = all
    .filter((s) => s !== seed && !seedKnows.has(`${s.host}:${s.port}`))
    .map((s) => s.name);
  for (const sh of layout)
    for (const name of [sh.primary, ...sh.replicas]) {
      const me = self(get(name));
      const willOwn = plan.slots.some((x) => x.node === name);
      if (me?.role === 'primary' && me.slots.length === 0 && !willOwn)
        plan.replicate.push({ node: name, shard: sh.name });
    }
  return plan;
}
