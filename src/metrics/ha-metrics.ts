import type { InfoMap } from '../redis/info.js';
import { majorityPrimary } from '../view/health.js';
import { singleCopy } from '../view/synced.js';
import type { FailoverEntry } from '../view/failover-history.js';
import type { BoundTopology } from '../topology/model.js';
import { MetricSet } from './exposition.js';
import { addNodeMetrics } from './node-metrics.js';
import { addSentinelMetrics, type SentinelReplies } from './sentinel-metrics.js';

/** Everything one scrape saw: plain data from the I/O side, turned into metrics by a pure function. */
export interface ScrapeData {
  at: number;
  nodes: { name: string; info?: InfoMap | undefined; error?: string | undefined }[];
  sentinels: { name: string; replies?: SentinelReplies | undefined; error?: string | undefined }[];
  endpoints: {
    endpoint: 'primary' | 'read';
    runId?: string | undefined;
    seconds?: number | undefined;
    error?: string | undefined;
  }[];
  failovers: { count: number; last?: FailoverEntry | undefined; inProgress: boolean };
  /** Since when the primary takes writes no replica confirms (single copy), if it does now. */
  singleCopySince?: number | undefined;
  /** With `backup.every` set: the newest backup's manifest time (epoch ms), if there is one. */
  backup?: { lastSuccess?: number | undefined } | undefined;
}

/** The scrape's confirmed primary enforces no write quorum although the topology asks one. */
export function scrapedSingleCopy(t: BoundTopology, d: ScrapeData): boolean {
  const name = scrapedMajority(t, d).name;
  const info = d.nodes.find((n) => n.name === name)?.info;
  return singleCopy(t, {
    name: name ?? '',
    reachable: info !== undefined,
    role: info?.role === 'master' ? 'master' : 'slave',
    offset: 0,
    quorumEnforced: info?.min_slaves_good_slaves !== undefined,
  });
}

export function nodeNamer(t: BoundTopology): (host: string, port: number) => string {
  return (host, port) =>
    t.nodes.find((n) => n.host === host && n.port === port)?.name ?? `${host}:${port}`;
}

/** The node a strict majority of all configured sentinels name (the one rule), and its votes. */
export function scrapedMajority(t: BoundTopology, d: ScrapeData): { name?: string; votes: number } {
  return majorityPrimary(
    t,
    d.sentinels.map((s) => ({
      name: s.name,
      reachable: s.replies?.master.name === t.masterName,
      tilt: s.replies?.info.sentinel_tilt === '1',
      masterHost: s.replies?.master.ip,
      masterPort: s.replies ? Number(s.replies.master.port) : undefined,
    })),
  );
}

/** Pure: a scrape's data as metric families. Every label set is fixed by the topology. */
export function buildMetrics(t: BoundTopology, d: ScrapeData): MetricSet {
  const m = new MetricSet();
  const nameOf = nodeNamer(t);
  const nowS = d.at / 1000;
  const nodeNames = t.nodes.map((n) => n.name);
  for (const n of d.nodes)
    m.gauge('redis_up', 'The server answered this scrape', n.info ? 1 : 0, { node: n.name });
  for (const s of d.sentinels)
    m.gauge('redis_up', 'The server answered this scrape', s.replies ? 1 : 0, { sentinel: s.name });
  for (const n of d.nodes) if (n.info) addNodeMetrics(m, n.name, n.info, nameOf, nowS);
  for (const s of d.sentinels) {
    if (!s.replies) continue;
    const { ip, port } = s.replies.master;
    const named = ip === undefined ? undefined : nameOf(ip, Number(port));
    addSentinelMetrics(m, s.name, t.masterName, s.replies, nodeNames, named);
  }

  const { name: majority, votes } = scrapedMajority(t, d);
  const infoOf = (name: string | undefined): InfoMap | undefined =>
    d.nodes.find((n) => n.name === name)?.info;
  const primaryInfo = infoOf(majority);
  const confirmed = primaryInfo?.role === 'master' ? majority : undefined;
  for (const n of nodeNames)
    m.gauge(
      'redis_ha_primary',
      'The current primary: named by a sentinel majority and reporting role master',
      n === confirmed ? 1 : 0,
      { node: n },
    );
  const reachable = d.sentinels.filter((s) => s.replies).length;
  m.gauge('redis_ha_primary_votes', 'Sentinels naming the majority primary', votes);
  m.gauge('redis_ha_sentinels_configured', 'Sentinels in the topology', t.sentinels.length);
  m.gauge('redis_ha_sentinels_reachable', 'Sentinels that answered this scrape', reachable);
  m.gauge('redis_ha_quorum', 'Quorum configured in the topology', t.quorum);
  m.gauge(
    'redis_ha_sentinels_agree',
    'Every reachable sentinel names the same primary, and they are a majority',
    majority !== undefined && votes === reachable ? 1 : 0,
  );

  const primaryOffset = Number(primaryInfo?.master_repl_offset ?? NaN);
  for (const n of d.nodes) {
    if (!n.info || n.name === confirmed || n.info.role !== 'slave') continue;
    const follows =
      confirmed !== undefined &&
      nameOf(n.info.master_host ?? '', Number(n.info.master_port)) === confirmed &&
      n.info.master_link_status === 'up';
    m.gauge(
      'redis_ha_replica_follows_primary',
      'The replica replicates from the current primary with its link up',
      follows ? 1 : 0,
      { node: n.name },
    );
    if (follows && Number.isFinite(primaryOffset))
      m.gauge(
        'redis_ha_replica_lag_bytes',
        "Current primary's offset minus this replica's",
        Math.max(0, primaryOffset - Number(n.info.slave_repl_offset ?? 0)),
        { node: n.name },
      );
  }

  for (const e of d.endpoints) {
    const el = { endpoint: e.endpoint };
    const reached = d.nodes.find((n) => e.runId !== undefined && n.info?.run_id === e.runId)?.name;
    m.gauge('redis_ha_endpoint_up', 'The endpoint answered through to a node', e.runId ? 1 : 0, el);
    m.gauge('redis_ha_endpoint_probe_seconds', 'Round trip of the probe through it', e.seconds, el);
    for (const n of nodeNames)
      m.gauge('redis_ha_endpoint_node', 'The node the endpoint reaches', n === reached ? 1 : 0, {
        ...el,
        node: n,
      });
    if (e.endpoint === 'primary')
      m.gauge(
        'redis_ha_endpoint_reaches_primary',
        'The endpoint reaches the current primary',
        reached !== undefined && reached === confirmed ? 1 : 0,
        el,
      );
  }

  m.gauge(
    'redis_ha_single_copy_seconds',
    'How long the primary has taken writes that no replica confirms (0: every write has two copies)',
    d.singleCopySince === undefined ? 0 : Math.max(0, (d.at - d.singleCopySince) / 1000),
  );
  addBackupMetrics(m, t, d);
  const f = d.failovers;
  m.counter('redis_ha_failovers_total', 'Failovers seen since the exporter started', f.count);
  const flagged = d.sentinels.some((s) =>
    (s.replies?.master.flags ?? '').split(',').includes('failover_in_progress'),
  );
  m.gauge(
    'redis_ha_failover_in_progress',
    'A failover is under way',
    f.inProgress || flagged ? 1 : 0,
  );
  if (f.last) {
    m.gauge(
      'redis_ha_last_failover_timestamp_seconds',
      'When the last failover completed (+switch-master)',
      f.last.endedAt / 1000,
    );
    m.gauge(
      'redis_ha_last_failover_duration_seconds',
      'First sign of the last failover (+sdown, +odown or +try-failover) to +switch-master',
      f.last.durationMs === undefined ? undefined : f.last.durationMs / 1000,
    );
  }
  return m;
}

/** Only with scheduled backups: their age, from the newest manifest in the backup dir. */
function addBackupMetrics(m: MetricSet, t: BoundTopology, d: ScrapeData): void {
  if (!t.backup || !d.backup) return;
  const last = d.backup.lastSuccess;
  m.gauge(
    'redis_ha_backup_interval_seconds',
    'backup.every of the topology',
    t.backup.everyMs / 1000,
  );
  m.gauge(
    'redis_ha_backup_last_success_timestamp_seconds',
    'Time of the newest backup (its manifest) in the backup dir; 0: none yet',
    last === undefined ? 0 : last / 1000,
  );
  m.gauge(
    'redis_ha_backup_age_seconds',
    'Seconds since the newest backup in the backup dir was taken (absent: none yet)',
    last === undefined ? undefined : Math.max(0, (d.at - last) / 1000),
  );
}
