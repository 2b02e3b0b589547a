import { setTimeout as sleep } from 'node:timers/promises';
import type { ShardView } from '../cluster/analyze.js';
import { clusterStatus } from '../cluster/status.js';
import { RedisHaError } from '../errors/errors.js';
import { redisErrorText, withClient } from '../redis/client.js';
import { credentials } from '../state/credentials.js';
import type { Secrets } from '../state/secrets.js';
import { clusterNodes, type BoundTopology } from '../topology/model.js';
import { didYouMean } from '../util/did-you-mean.js';

export interface ClusterSwitchoverResult {
  shard: string;
  from: string;
  to: string;
  /** From CLUSTER FAILOVER to `to` saying it is a primary (the slot map agrees before return). */
  tookMs: number;
}

/** The shard named, its confirmed primary and the replica to promote (synced, or refused). */
export function pickShardTarget(
  shards: readonly ShardView[],
  shard: string,
  to: string | undefined,
): { from: string; to: string } {
  const s = shards.find((x) => x.name === shard);
  if (!s) {
    const near = didYouMean(
      shard,
      shards.map((x) => x.name),
    );
    throw new RedisHaError('USAGE', `no shard "${shard}"`, {
      hint: near ? `did you mean "${near}"?` : `shards: ${shards.map((x) => x.name).join(', ')}`,
    });
  }
  if (!s.primary || !s.primaryConfirmed)
    throw new RedisHaError('UNHEALTHY', `${shard} has no confirmed primary`, {
      hint: 'a failure is being handled: see `redis-ha status`',
    });
  const replicas = s.members.filter((m) => m.role === 'replica' && m.following === s.primary);
  const pick = to
    ? replicas.find((m) => m.name === to)
    : [...replicas].filter((m) => m.synced).sort((a, b) => b.offset - a.offset)[0];
  if (to && !pick)
    throw new RedisHaError('USAGE', `${to} is not a replica of ${s.primary} in ${shard}`, {
      hint: `replicas: ${replicas.map((m) => m.name).join(', ') || 'none'}`,
    });
  if (!pick?.synced)
    throw new RedisHaError('UNHEALTHY', `${pick?.name ?? shard}: no synced replica to promote`, {
      hint: 'a switchover never promotes a replica that is not in sync; wait for `status`',
    });
  return { from: s.primary, to: pick.name };
}

/**
 * A planned failover of one shard: `CLUSTER FAILOVER` (no option) to the chosen replica, Redis
 * Cluster's own coordinated one: the primary pauses its clients, the replica reaches its offset,
 * then takes the slots, so no acknowledged write is lost. Done once the majority's slot map
 * names the replica; bounded (Redis gives a manual failover 5 s, then the election).
 */
export async function runClusterSwitchover(
  t: BoundTopology,
  secrets: Secrets,
  o: { shard: string; to?: string | undefined },
  progress: (line: string) => void,
): Promise<ClusterSwitchoverResult> {
  const before = await clusterStatus(t, secrets);
  const { from, to } = pickShardTarget(before.shards, o.shard, o.to);
  const node = clusterNodes(t).find((n) => n.name === to);
  if (!node) throw new RedisHaError('INTERNAL', `${to} is not in the topology`);
  progress(`${o.shard}: CLUSTER FAILOVER on ${to} (primary ${from})`);
  const admin = credentials(t, secrets, 'admin');
  const t0 = Date.now();
  const deadline = t0 + 5000 + 2 * (t.cluster?.nodeTimeoutMs ?? 15_000);
  // One connection polled for ROLE while the failover runs: a full look at every node each few
  // milliseconds would compete for the CPU with the nodes doing it.
  const took = await withClient(node, { ...admin, abortOnError: true }, async (c) => {
    try {
      await c.call('CLUSTER', 'FAILOVER');
    } catch (e) {
      throw new RedisHaError('FAILOVER_FAILED', `${to} refused: ${redisErrorText(e)}`, {
        cause: e,
      });
    }
    while (Date.now() < deadline) {
      const role = (await c.call('ROLE')) as unknown[];
      if (role[0] === 'master') return Date.now() - t0;
      await sleep(5);
    }
    return undefined;
  });
  while (took !== undefined && Date.now() < deadline) {
    const v = await clusterStatus(t, secrets);
    const s = v.shards.find((x) => x.name === o.shard);
    if (s?.primary === to && s.primaryConfirmed && v.slotMap.agreed) {
      progress(
        `${o.shard}: ${to} owns its slots (${took} ms; the slot map agreed after ${Date.now() - t0} ms)`,
      );
      return { shard: o.shard, from, to, tookMs: took };
    }
    await sleep(50);
  }
  throw new RedisHaError('FAILOVER_FAILED', `${o.shard}: ${to} did not take over`, {
    hint: `Redis gives up a manual failover after 5 s (the replica could not catch up, or no majority of primaries voted); ${from} keeps the slots. See \`redis-ha status\` and the nodes' logs`,
  });
}

export function describeClusterSwitchover(r: ClusterSwitchoverResult): string {
  return `switchover of ${r.shard}: ${r.from} -> ${r.to} in ${r.tookMs} ms, no acknowledged write lost (coordinated CLUSTER FAILOVER)`;
}
