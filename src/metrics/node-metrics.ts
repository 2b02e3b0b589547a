import { parseReplicaAcks, type InfoMap } from '../redis/info.js';
import type { MetricSet, MetricType } from './exposition.js';

/** INFO field -> redis_exporter's metric name (so existing dashboards keep working). */
const FIELDS: readonly (readonly [string, string, MetricType, string, number?])[] = [
  ['uptime_in_seconds', 'redis_uptime_in_seconds', 'gauge', 'Seconds since the server started'],
  ['connected_clients', 'redis_connected_clients', 'gauge', 'Client connections'],
  ['blocked_clients', 'redis_blocked_clients', 'gauge', 'Clients in a blocking command'],
  ['used_memory', 'redis_memory_used_bytes', 'gauge', 'Memory allocated by Redis'],
  ['used_memory_rss', 'redis_memory_used_rss_bytes', 'gauge', 'Resident memory of the process'],
  ['used_memory_peak', 'redis_memory_used_peak_bytes', 'gauge', 'Peak memory allocated'],
  ['maxmemory', 'redis_memory_max_bytes', 'gauge', 'maxmemory setting (0: no limit)'],
  ['mem_fragmentation_ratio', 'redis_mem_fragmentation_ratio', 'gauge', 'RSS / used memory'],
  ['connected_slaves', 'redis_connected_slaves', 'gauge', 'Replicas connected to this node'],
  ['master_repl_offset', 'redis_master_repl_offset', 'gauge', 'Replication offset'],
  ['slave_repl_offset', 'redis_slave_repl_offset', 'gauge', 'Replica: offset processed'],
  [
    'master_last_io_seconds_ago',
    'redis_master_last_io_seconds_ago',
    'gauge',
    'Replica: seconds since the last byte from its primary',
  ],
  [
    'master_link_down_since_seconds',
    'redis_master_link_down_since_seconds',
    'gauge',
    'Replica: seconds the link has been down',
  ],
  [
    'master_sync_in_progress',
    'redis_master_sync_in_progress',
    'gauge',
    'Replica: a full sync is under way',
  ],
  ['slave_priority', 'redis_slave_priority', 'gauge', 'Replica: promotion priority (0: never)'],
  ['aof_enabled', 'redis_aof_enabled', 'gauge', 'AOF on'],
  [
    'rdb_changes_since_last_save',
    'redis_rdb_changes_since_last_save',
    'gauge',
    'Writes since the last RDB save',
  ],
  [
    'rdb_last_save_time',
    'redis_rdb_last_save_timestamp_seconds',
    'gauge',
    'Time of the last RDB save',
  ],
  ['rdb_bgsave_in_progress', 'redis_rdb_bgsave_in_progress', 'gauge', 'An RDB save is under way'],
  ['latest_fork_usec', 'redis_latest_fork_seconds', 'gauge', 'Duration of the latest fork', 1e-6],
  ['loading', 'redis_loading_dump_file', 'gauge', 'Loading a dump file'],
  ['pubsub_channels', 'redis_pubsub_channels', 'gauge', 'Pub/sub channels with subscribers'],
  ['total_commands_processed', 'redis_commands_processed_total', 'counter', 'Commands processed'],
  [
    'total_connections_received',
    'redis_connections_received_total',
    'counter',
    'Connections accepted',
  ],
  [
    'rejected_connections',
    'redis_rejected_connections_total',
    'counter',
    'Connections refused (maxclients)',
  ],
  ['evicted_keys', 'redis_evicted_keys_total', 'counter', 'Keys evicted by maxmemory'],
  ['expired_keys', 'redis_expired_keys_total', 'counter', 'Keys expired'],
  ['keyspace_hits', 'redis_keyspace_hits_total', 'counter', 'Successful key lookups'],
  ['keyspace_misses', 'redis_keyspace_misses_total', 'counter', 'Failed key lookups'],
  [
    'total_net_input_bytes',
    'redis_net_input_bytes_total',
    'counter',
    'Bytes read from the network',
  ],
  [
    'total_net_output_bytes',
    'redis_net_output_bytes_total',
    'counter',
    'Bytes written to the network',
  ],
  ['used_cpu_sys', 'redis_cpu_sys_seconds_total', 'counter', 'System CPU time'],
  ['used_cpu_user', 'redis_cpu_user_seconds_total', 'counter', 'User CPU time'],
];

const STATUS_FIELDS: readonly (readonly [string, string, string])[] = [
  ['rdb_last_bgsave_status', 'redis_rdb_last_bgsave_status', 'Last RDB save succeeded'],
  ['aof_last_bgrewrite_status', 'redis_aof_last_bgrewrite_status', 'Last AOF rewrite succeeded'],
  ['aof_last_write_status', 'redis_aof_last_write_status', 'Last AOF write succeeded'],
];

/** Names a replica's ip:port as its topology node name where it is one (stable labels). */
export type NodeNamer = (host: string, port: number) => string;

/**
 * One node's INFO as metrics, labelled only by `node` (its topology name): the role is a value
 * (`redis_ha_node_is_primary`) and an info metric, never a label that strands series on failover.
 */
export function addNodeMetrics(
  m: MetricSet,
  node: string,
  info: InfoMap,
  nameOf: NodeNamer,
  nowS: number,
): void {
  const l = { node };
  for (const [field, name, type, help, scale] of FIELDS) {
    const raw = info[field];
    if (raw === undefined) continue;
    m.add(name, type, help, Number(raw) * (scale ?? 1), l);
  }
  for (const [field, name, help] of STATUS_FIELDS) {
    const raw = info[field];
    if (raw !== undefined) m.gauge(name, help, raw === 'ok' ? 1 : 0, l);
  }
  const uptime = Number(info.uptime_in_seconds);
  if (Number.isFinite(uptime))
    m.gauge('redis_start_time_seconds', 'Start time of the server', Math.round(nowS - uptime), l);
  const primary = info.role === 'master';
  m.gauge('redis_ha_node_is_primary', 'The node reports role master', primary ? 1 : 0, l);
  m.gauge('redis_instance_info', 'Information about the Redis instance', 1, {
    node,
    role: info.role ?? '',
    redis_version: info.redis_version ?? '',
    redis_mode: info.redis_mode ?? '',
    run_id: info.run_id ?? '',
    tcp_port: info.tcp_port ?? '',
    maxmemory_policy: info.maxmemory_policy ?? '',
  });
  if (!primary)
    m.gauge(
      'redis_master_link_up',
      'Replica: link to its primary is up',
      info.master_link_status === 'up' ? 1 : 0,
      l,
    );
  for (const [k, v] of Object.entries(info)) {
    const db = /^db(\d+)$/.exec(k);
    if (!db) continue;
    const keys = /keys=(\d+)/.exec(v)?.[1];
    const expires = /expires=(\d+)/.exec(v)?.[1];
    const dl = { node, db: `db${db[1]}` };
    m.gauge('redis_db_keys', 'Keys by database', Number(keys ?? 0), dl);
    m.gauge('redis_db_keys_expiring', 'Keys with an expiry by database', Number(expires ?? 0), dl);
  }
  if (!primary) return;
  const masterOffset = Number(info.master_repl_offset ?? 0);
  for (const a of parseReplicaAcks(info)) {
    const rl = { node, replica: nameOf(a.ip, a.port) };
    m.gauge(
      'redis_connected_slave_lag_seconds',
      'Seconds since the replica last acknowledged',
      a.lag,
      rl,
    );
    m.gauge('redis_connected_slave_offset_bytes', 'Offset the replica acknowledged', a.offset, rl);
    m.gauge(
      'redis_ha_connected_replica_online',
      'The replica is online (not in a full sync)',
      a.state === 'online' ? 1 : 0,
      rl,
    );
    m.gauge(
      'redis_ha_connected_replica_lag_bytes',
      'Bytes the replica has not acknowledged yet',
      Math.max(0, masterOffset - a.offset),
      rl,
    );
  }
}
