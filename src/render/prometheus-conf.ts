import { stringify } from 'yaml';
import type { BoundTopology } from '../topology/model.js';

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' | 'info' };
  annotations: { summary: string; description: string };
}

/**
 * Example alerts on the exporter's metrics. Every series they read has labels fixed by the
 * topology (node / sentinel names), so an alert never resolves just because a failover renamed
 * a series. `promtool check rules` and `promtool test rules` run on them in the tests.
 */
export const ALERT_RULES: readonly AlertRule[] = [
  {
    alert: 'RedisHaPrimaryMissing',
    expr: 'max by (job, instance) (redis_ha_primary) == 0',
    for: '15s',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'No primary: no node is both named by a sentinel majority and role master',
      description: 'Writes fail. A failover should end this within down-after + a few seconds.',
    },
  },
  {
    alert: 'RedisHaTwoPrimaries',
    expr: 'sum by (job, instance) (redis_ha_node_is_primary) > 1',
    for: '10s',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'Split brain: {{ $value }} nodes report role master',
      description: 'Writes acknowledged by the one the sentinels do not name will be lost.',
    },
  },
  {
    alert: 'RedisHaQuorumLost',
    expr:
      'redis_ha_sentinels_reachable < redis_ha_quorum' +
      ' or min by (job, instance) (redis_sentinel_master_ckquorum_status) == 0',
    for: '15s',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'Sentinels cannot reach quorum or authorize a failover',
      description: 'A primary failure now would not be failed over.',
    },
  },
  {
    alert: 'RedisHaSentinelsDisagree',
    expr: 'redis_ha_sentinels_agree == 0',
    for: '30s',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Reachable sentinels do not all name the same primary',
      description: 'See redis_ha_sentinel_names_primary and `redis-ha status`.',
    },
  },
  {
    alert: 'RedisHaReplicaLinkDown',
    expr: 'redis_master_link_up == 0 or redis_ha_replica_follows_primary == 0',
    for: '30s',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Replica {{ $labels.node }} does not replicate from the current primary',
      description: 'It cannot take over without losing data while this lasts.',
    },
  },
  {
    alert: 'RedisHaReplicaLag',
    expr: 'redis_ha_replica_lag_bytes > 1048576 or redis_connected_slave_lag_seconds > 10',
    for: '1m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Replica {{ $labels.node }}{{ $labels.replica }} lags behind the primary',
      description: 'A failover now would lose the writes it has not received.',
    },
  },
  {
    alert: 'RedisHaSentinelTilt',
    expr: 'redis_sentinel_tilt == 1',
    for: '0s',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Sentinel {{ $labels.sentinel }} is in TILT mode (clock jump or stall)',
      description: 'It takes no action for 30 s; check the host for stalls.',
    },
  },
  {
    alert: 'RedisHaNodeDown',
    expr: 'redis_up == 0',
    for: '30s',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.node }}{{ $labels.sentinel }} does not answer the exporter',
      description: 'The supervisor restarts it; a node down for long costs redundancy.',
    },
  },
  {
    alert: 'RedisHaEndpointNotOnPrimary',
    expr: 'redis_ha_endpoint_reaches_primary == 0',
    for: '15s',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'The endpoint does not reach the current primary',
      description: 'Clients of the endpoint get errors or wait.',
    },
  },
  {
    alert: 'RedisHaFailoverHappened',
    expr: 'increase(redis_ha_failovers_total[10m]) > 0',
    for: '0s',
    labels: { severity: 'info' },
    annotations: {
      summary: 'A failover happened in the last 10 minutes',
      description:
        'Took {{ with query "redis_ha_last_failover_duration_seconds" }}{{ . | first | value | humanizeDuration }}{{ end }}; find out why the primary failed.',
    },
  },
];

export function renderAlertRules(): string {
  return (
    '# redis-ha example alerts (generated from src/render/prometheus-conf.ts)\n' +
    stringify({ groups: [{ name: 'redis-ha', rules: ALERT_RULES }] }, { lineWidth: 0 })
  );
}

/** A prometheus.yml that scrapes the topology's exporter and loads the alerts. */
export function renderPrometheusConfig(
  t: BoundTopology,
  rulesFile: string,
  auth?: { username: string; passwordFile: string },
): string {
  const { host, port } = t.exporter.listen;
  return stringify(
    {
      global: { scrape_interval: '5s', evaluation_interval: '5s' },
      rule_files: [rulesFile],
      scrape_configs: [
        {
          job_name: 'redis-ha',
          scrape_timeout: '4s',
          static_configs: [{ targets: [`${host}:${port}`] }],
          ...(auth
            ? { basic_auth: { username: auth.username, password_file: auth.passwordFile } }
            : {}),
        },
      ],
    },
    { lineWidth: 0 },
  );
}
