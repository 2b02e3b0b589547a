/**
 * /metrics for a Redis Cluster topology: the process's one cluster view (ClusterMonitor, its
 * pure analysis) as metric families. Every series carries the topology's shard name: a node
 * belongs to its shard for life (replica migration is off), so a failover moves `is_primary`
 * from one node to another inside the same `shard` and never renames a series. The role is a
 * value, not a label, for the same reason (a label would end one series and start another).
 */
import type { ClusterView, MemberView, ShardView } from '../cluster/analyze.js';
import type { ClusterMonitor } from '../cluster/monitor.js';
import type { BoundTopology } from '../topology/model.js';
import { MetricSet } from './exposition.js';
import type { MetricsSource } from './exporter.js';

const SHARD_STATES: readonly ShardView['state'][] = ['ok', 'degraded', 'failing', 'down'];
const bit = (b: boolean | null | undefined): number | undefined =>
  b === null || b === undefined ? undefined : b ? 1 : 0;

function shardMetrics(m: MetricSet, s: ShardView): void {
  const l = { shard: s.name };
  m.gauge(
    'redis_ha_cluster_shard_slots',
    'Slots the shard owns in the majority map',
    s.slotCount,
    l,
  );
  for (const state of SHARD_STATES)
    m.gauge(
      'redis_ha_cluster_shard_state',
      'The shard state: ok, degraded (fewer synced replicas than declared), failing, down',
      s.state === state ? 1 : 0,
      { ...l, state },
    );
  m.gauge(
    'redis_ha_cluster_shard_primary_confirmed',
    'Its primary owns the slots, answers as a primary, flagged by nobody',
    bit(s.primaryConfirmed),
    l,
  );
  m.gauge(
    'redis_ha_cluster_shard_replicas_synced',
    'Replicas synced with the primary (the strict rule)',
    s.replicasSynced,
    l,
  );
  m.gauge(
    'redis_ha_cluster_shard_replicas',
    'Replicas declared in the topology',
    s.replicasDeclared,
    l,
  );
  m.gauge(
    'redis_ha_cluster_shard_has_synced_replica',
    'At least one replica holds a synced copy (a primary loss loses nothing acknowledged)',
    bit(s.replicasSynced > 0),
    l,
  );
  m.gauge('redis_ha_cluster_shard_config_epoch', "The primary's config epoch", s.configEpoch, l);
}

function memberMetrics(m: MetricSet, n: MemberView, primary: string | undefined): void {
  const l = { node: n.name, shard: n.shard };
  m.gauge('redis_up', 'The server answered the last look', bit(n.reachable), l);
  if (!n.reachable) return;
  m.gauge('redis_ha_node_is_primary', 'The node reports role master', bit(n.role === 'primary'), l);
  m.gauge(
    'redis_ha_cluster_node_is_shard_primary',
    "The node is its shard's primary in the majority map",
    bit(n.name === primary),
    l,
  );
  m.gauge(
    'redis_ha_cluster_state',
    'cluster_state as this node reports it (1 ok)',
    bit(n.clusterState === 'ok'),
    l,
  );
  for (const state of ['ok', 'pfail', 'fail'] as const)
    m.gauge(
      'redis_ha_cluster_slots',
      'Slots by state, as this node counts them (CLUSTER INFO)',
      n.slotStates?.[state],
      { ...l, state },
    );
  m.gauge(
    'redis_ha_cluster_slots_assigned',
    'Slots assigned, as this node counts them',
    n.slotStates?.assigned,
    l,
  );
  m.gauge(
    'redis_ha_cluster_node_slot_map_agrees',
    "Its slot map is the majority's",
    bit(n.agrees),
    l,
  );
  m.gauge('redis_ha_cluster_known_nodes', 'Nodes this node knows', n.knownNodes ?? undefined, l);
  m.gauge('redis_ha_cluster_current_epoch', 'Its current epoch', n.currentEpoch ?? undefined, l);
  m.gauge('redis_ha_cluster_node_flagged_pfail_by', 'Peers flagging it pfail', n.pfailBy, l);
  m.gauge('redis_ha_cluster_node_flagged_fail_by', 'Peers flagging it fail', n.failBy, l);
  m.gauge('redis_ha_cluster_node_offset', 'Replication offset', n.offset, l);
  // Every answering node, 0 on a primary: a failover changes values, never the series set.
  const replica = n.role === 'replica';
  m.gauge('redis_ha_replica_synced', 'A replica synced by the strict rule', bit(n.synced), l);
  m.gauge(
    'redis_ha_replica_follows_primary',
    "A replica following its shard's primary",
    bit(replica && n.following === primary),
    l,
  );
  // Only a replica has a lag (absent on a primary, as in a Sentinel topology's /metrics).
  if (replica)
    m.gauge('redis_ha_replica_lag_bytes', 'Bytes behind its primary', n.lagBytes ?? undefined, l);
}

/** Pure: one analysis of the cluster as metric families; label sets fixed by the topology. */
export function buildClusterMetrics(v: ClusterView): MetricSet {
  const m = new MetricSet();
  m.gauge(
    'redis_ha_cluster_healthy',
    'Every shard ok, one slot map, every replica synced',
    bit(v.healthy),
  );
  m.gauge(
    'redis_ha_cluster_slot_map_agreed',
    'Every reachable node prints the same slot map',
    bit(v.slotMap.agreed),
  );
  m.gauge(
    'redis_ha_cluster_slot_map_majority',
    'Nodes sharing the most common slot map',
    v.slotMap.majoritySize,
  );
  m.gauge(
    'redis_ha_cluster_slots_covered',
    'Slots assigned in the majority map',
    v.slotMap.assigned,
  );
  m.gauge('redis_ha_cluster_primaries', 'Slot-owning primaries', v.primaries.total);
  m.gauge(
    'redis_ha_cluster_primaries_reachable',
    'Slot-owning primaries reachable and unflagged',
    v.primaries.reachable,
  );
  m.gauge(
    'redis_ha_quorum',
    'A majority of the slot-owning primaries is up (the cluster takes writes)',
    bit(v.primaries.quorum),
  );
  for (const s of v.shards) shardMetrics(m, s);
  for (const s of v.shards) for (const n of s.members) memberMetrics(m, n, s.primary);
  return m;
}

/**
 * The exporter's source for a cluster: a look of the process's ClusterMonitor (shared with one
 * under way), bounded by the exporter's timeout; past it, the last look.
 */
export function clusterSource(monitor: ClusterMonitor, t: BoundTopology): MetricsSource {
  return {
    topology: t,
    start: () => undefined,
    stop: () => undefined,
    metrics: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), t.exporter.timeoutMs);
      });
      const look = monitor.look().catch(() => undefined);
      const v = (await Promise.race([look, late])) ?? monitor.last;
      clearTimeout(timer);
      if (!v) throw new Error('the cluster has not been looked at yet');
      return buildClusterMetrics(v);
    },
  };
}
