/**
 * Forms a Redis Cluster from running cluster-enabled nodes, without redis-cli: distinct config
 * epochs and slot ranges on fresh nodes, MEET, REPLICATE, then waits until it is healthy by the
 * analysis (cluster_state ok everywhere, one slot map, distinct agreed epochs, every replica
 * synced by the strict rule). On a formed cluster the plan is empty: it only verifies.
 */
import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { redisErrorText } from '../redis/client.js';
import { clusterProbe, confirmStreaming } from '../redis/streaming.js';
import type { Links } from '../view/links.js';
import { waitFor } from '../util/wait.js';
import {
  clusterNodes,
  type BoundTopology,
  type ClusterNodeSpec,
  type ShardSpec,
} from '../topology/model.js';
import { analyzeCluster, type ClusterView, type NodeSnapshot } from './analyze.js';
import { formatSlots } from './parse.js';
import { planFormation, type FormationPlan } from './plan.js';
import { knownAddress, snapshotNode } from './snapshot.js';

export interface FormOptions {
  /** The process's connections to the nodes (as admin). */
  links: Links;
  progress: (line: string) => void;
  /** Throws when a node's process is gone (ends every wait early). */
  check?: () => void;
  /** Bound of the last wait (replicas synced); the default is replication.syncTimeout. */
  healthyTimeoutMs?: number;
}

export interface FormResult {
  /** created: a new cluster; completed: steps were missing; verified: nothing to do. */
  outcome: 'created' | 'completed' | 'verified';
  plan: FormationPlan;
  view: ClusterView;
}

function layoutOf(t: BoundTopology): readonly ShardSpec[] {
  if (!t.cluster) throw new RedisHaError('INTERNAL', 'formCluster needs a cluster topology');
  return t.cluster.shards;
}

export async function snapshotAll(
  links: Links,
  nodes: readonly ClusterNodeSpec<number>[],
): Promise<NodeSnapshot[]> {
  return Promise.all(nodes.map((n) => snapshotNode(links.get(n), n)));
}

/** A formation command; Redis's refusal becomes a RedisHaError naming the node and the step. */
async function step(c: Redis, node: string, ...args: string[]): Promise<void> {
  try {
    await c.call('CLUSTER', ...args);
  } catch (e) {
    throw new RedisHaError(
      'UNHEALTHY',
      `${node} refused CLUSTER ${args[0] ?? ''}: ${redisErrorText(e)}`,
      {
        hint: `see \`redis-ha status\` and \`redis-ha logs ${node}\`; a half-formed cluster is safest recreated from an empty state dir (\`redis-ha down\`, then remove it)`,
        cause: e,
      },
    );
  }
}

/** Every node answering (a restart may be loading its dataset: up to replication.syncTimeout). */
async function answering(t: BoundTopology, o: FormOptions): Promise<NodeSnapshot[]> {
  return waitFor(
    async () => {
      o.check?.();
      const s = await snapshotAll(o.links, clusterNodes(t));
      const down = s.filter((x) => !x.reachable);
      return down.length
        ? { pending: down.map((x) => `${x.name}: ${x.error ?? '?'}`).join('; ') }
        : s;
    },
    {
      timeoutMs: Math.max(15_000, t.replication.syncTimeoutMs),
      intervalMs: 20,
      what: 'every cluster node to answer',
    },
  );
}

export async function formCluster(t: BoundTopology, o: FormOptions): Promise<FormResult> {
  const layout = layoutOf(t);
  const client = (name: string): Redis => o.links.get(nodeOf(t, name));
  const plan = planFormation(layout, await answering(t, o));
  const steps = plan.epochs.length + plan.slots.length + plan.meet.length + plan.replicate.length;
  const size = `${layout.length} shards, ${t.nodes.length} nodes`;
  o.progress(
    plan.fresh
      ? `forming a new cluster: ${size}`
      : steps
        ? `completing the cluster (${size}): ${steps} steps missing`
        : `cluster already formed (${size}): verifying`,
  );
  for (const e of plan.epochs)
    await step(client(e.node), e.node, 'SET-CONFIG-EPOCH', String(e.epoch));
  for (const s of plan.slots) {
    const { start, end } = s.range;
    await step(client(s.node), s.node, 'ADDSLOTSRANGE', String(start), String(end));
    o.progress(`${s.shard}: slots ${formatSlots([s.range])} -> ${s.node}`);
  }
  const seed = nodeOf(t, plan.seed);
  const at = knownAddress(seed);
  const bus = String(seed.announce.busPort ?? seed.busPort);
  for (const m of plan.meet) await step(client(m), m, 'MEET', at.host, String(at.port), bus);
  if (plan.meet.length) o.progress(`${plan.meet.length} nodes meet ${seed.name}`);
  await replicateAll(t, plan, o, client);
  const view = await waitHealthy(t, o, client);
  return { outcome: plan.fresh ? 'created' : steps ? 'completed' : 'verified', plan, view };
}

/** REPLICATE each replica as soon as it knows its shard's primary (gossip brings the id). */
async function replicateAll(
  t: BoundTopology,
  plan: FormationPlan,
  o: FormOptions,
  client: (name: string) => Redis,
): Promise<void> {
  const layout = layoutOf(t);
  const nodes = clusterNodes(t);
  let left = [...plan.replicate];
  if (left.length === 0) return;
  await waitFor(
    async () => {
      o.check?.();
      const snaps = await snapshotAll(o.links, nodes);
      for (const r of [...left]) {
        const shard = layout.find((s) => s.name === r.shard);
        const members = new Set(shard ? [shard.primary, ...shard.replicas] : []);
        const ownerId = snaps
          .filter((s) => members.has(s.name))
          .find((s) => s.nodes?.find((e) => e.myself)?.slots.length)?.myId;
        const mine = snaps.find((s) => s.name === r.node);
        if (
          !ownerId ||
          !mine?.nodes?.some((e) => e.id === ownerId && !e.flags.includes('handshake'))
        )
          continue;
        await step(client(r.node), r.node, 'REPLICATE', ownerId);
        o.progress(
          `${r.shard}: ${r.node} replicates ${snaps.find((s) => s.myId === ownerId)?.name ?? ownerId}`,
        );
        left = left.filter((x) => x !== r);
      }
      return left.length === 0
        ? true
        : { pending: `${left.map((x) => x.node).join(', ')} do not know their primary yet` };
    },
    {
      timeoutMs: 20_000,
      intervalMs: 20,
      what: 'the replicas to learn their primaries (cluster gossip)',
    },
  );
}

/**
 * Until the analysis says healthy. A replica that is linked and caught up is confirmed by its
 * primary (probe write + WAIT: the stream flows), the strict rule of the whole project.
 */
async function waitHealthy(
  t: BoundTopology,
  o: FormOptions,
  client: (name: string) => Redis,
): Promise<ClusterView> {
  const layout = layoutOf(t);
  const nodes = clusterNodes(t);
  const confirmed = new Set<string>();
  const reported = new Set<string>();
  return waitFor(
    async () => {
      o.check?.();
      const view = analyzeCluster(layout, await snapshotAll(o.links, nodes), { confirmed });
      await Promise.all(
        view.shards.flatMap((s) =>
          s.members
            .filter(
              (m) =>
                m.role === 'replica' && !m.synced && m.linkUp && !m.syncing && m.lagBytes === 0,
            )
            .filter((m) => m.following === s.primary && s.primary !== undefined)
            .map(async (m) => {
              const ok = await confirmStreaming(
                client(s.primary ?? ''),
                knownAddress(nodeOf(t, m.name)),
                1500,
                clusterProbe,
              ).catch(() => false);
              if (ok) confirmed.add(m.name);
            }),
        ),
      );
      for (const s of view.shards)
        for (const m of s.members)
          if (m.synced && !reported.has(m.name)) {
            reported.add(m.name);
            o.progress(
              `${s.name}: ${m.name} synced (link up, caught up, stream confirmed by ${s.primary ?? '?'})`,
            );
          }
      return view.healthy ? view : { pending: view.problems.slice(0, 3).join('; ') };
    },
    {
      timeoutMs: o.healthyTimeoutMs ?? Math.max(15_000, t.replication.syncTimeoutMs),
      intervalMs: 25,
      what: 'the cluster to become healthy',
      hint: 'see `redis-ha status` and `redis-ha logs NODE`',
    },
  );
}

function nodeOf(t: BoundTopology, name: string): ClusterNodeSpec<number> {
  const n = clusterNodes(t).find((x) => x.name === name);
  if (!n) throw new RedisHaError('INTERNAL', `no cluster node named ${name}`);
  return n;
}
