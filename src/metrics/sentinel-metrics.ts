import { num, type InfoMap } from '../redis/info.js';
import type { MetricSet } from './exposition.js';

/** What one sentinel answered in a scrape (already parsed). */
export interface SentinelReplies {
  info: InfoMap;
  master: Record<string, string>;
  replicas: Record<string, string>[];
  sentinels: Record<string, string>[];
  ckquorumOk: boolean;
}

const INFO_FIELDS: readonly (readonly [string, string, string])[] = [
  ['sentinel_tilt', 'redis_sentinel_tilt', 'Sentinel is in TILT mode'],
  ['sentinel_masters', 'redis_sentinel_masters', 'Masters this sentinel monitors'],
  ['sentinel_running_scripts', 'redis_sentinel_running_scripts', 'Scripts running'],
  ['sentinel_scripts_queue_length', 'redis_sentinel_scripts_queue_length', 'Scripts queued'],
  [
    'sentinel_simulate_failure_flags',
    'redis_sentinel_simulate_failure_flags',
    'Failure simulation flags',
  ],
];

const FLAGS = ['s_down', 'o_down', 'failover_in_progress'] as const;

function flagged(flags: string | undefined, f: string): boolean {
  return (flags ?? '').split(',').includes(f);
}

/**
 * One sentinel's view as metrics, labelled by `sentinel` (and `master_name`); the primary it names
 * is a 0/1 series per topology node, so a failover changes values, never the set of series.
 */
export function addSentinelMetrics(
  m: MetricSet,
  sentinel: string,
  masterName: string,
  r: SentinelReplies,
  nodeNames: readonly string[],
  named: string | undefined,
): void {
  const l = { sentinel };
  const ml = { sentinel, master_name: masterName };
  m.gauge(
    'redis_uptime_in_seconds',
    'Seconds since the server started',
    num(r.info, 'uptime_in_seconds'),
    l,
  );
  m.gauge('redis_connected_clients', 'Client connections', num(r.info, 'connected_clients'), l);
  m.gauge('redis_instance_info', 'Information about the Redis instance', 1, {
    sentinel,
    role: 'sentinel',
    redis_version: r.info.redis_version ?? '',
    redis_mode: r.info.redis_mode ?? 'sentinel',
    run_id: r.info.run_id ?? '',
    tcp_port: r.info.tcp_port ?? '',
  });
  for (const [field, name, help] of INFO_FIELDS) m.gauge(name, help, num(r.info, field), l);
  const known = r.master.name === masterName;
  m.gauge(
    'redis_ha_sentinel_master_known',
    'The sentinel monitors the master name',
    known ? 1 : 0,
    ml,
  );
  if (!known) return;
  const flags = r.master.flags;
  m.gauge(
    'redis_sentinel_master_status',
    'The sentinel sees the master up (flags exactly "master")',
    flags === 'master' ? 1 : 0,
    ml,
  );
  for (const f of FLAGS)
    m.gauge('redis_ha_sentinel_master_flag', 'Master flags as 0/1', flagged(flags, f) ? 1 : 0, {
      ...ml,
      flag: f,
    });
  const okReplicas = r.replicas.filter(
    (x) => x.flags === 'slave' && (x['master-link-status'] ?? 'ok') === 'ok',
  ).length;
  const okPeers = r.sentinels.filter((x) => !flagged(x.flags, 's_down')).length;
  m.gauge('redis_sentinel_master_slaves', 'Replicas the sentinel knows', r.replicas.length, ml);
  m.gauge('redis_sentinel_master_ok_slaves', 'Replicas up with their link ok', okReplicas, ml);
  m.gauge(
    'redis_sentinel_master_sentinels',
    'Sentinels known, itself included',
    r.sentinels.length + 1,
    ml,
  );
  m.gauge('redis_sentinel_master_ok_sentinels', 'Sentinels up, itself included', okPeers + 1, ml);
  m.gauge(
    'redis_sentinel_master_ckquorum_status',
    'SENTINEL CKQUORUM is OK',
    r.ckquorumOk ? 1 : 0,
    ml,
  );
  m.gauge('redis_sentinel_master_setting_quorum', 'Configured quorum', num(r.master, 'quorum'), ml);
  m.gauge(
    'redis_ha_sentinel_config_epoch',
    'Configuration epoch (grows by one per failover)',
    num(r.master, 'config-epoch'),
    ml,
  );
  const names =
    named === undefined || nodeNames.includes(named) ? nodeNames : [...nodeNames, named];
  for (const n of names)
    m.gauge(
      'redis_ha_sentinel_names_primary',
      'The sentinel names this node as the primary',
      n === named ? 1 : 0,
      { ...ml, node: n },
    );
}
