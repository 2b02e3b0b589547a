import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MetricSet, renderFamilies } from '../../src/metrics/exposition.js';
import { declineReason } from '../../src/monitor/check-service.js';
import { caFile } from '../../src/state/tls.js';
import { buildMetrics, type ScrapeData } from '../../src/metrics/ha-metrics.js';
import type { SentinelReplies } from '../../src/metrics/sentinel-metrics.js';
import { parseInfo } from '../../src/redis/info.js';
import { renderAlertRules } from '../../src/render/prometheus-conf.js';
import { FailoverHistory } from '../../src/view/failover-history.js';
import { boundTopology } from '../helpers/bound.js';

const t = boundTopology(undefined, 7000, 8000);
const [n1, n2] = t.nodes;

function nodeInfo(role: 'master' | 'slave', runId: string, of?: number): string {
  const lines = [
    '# Server',
    'redis_version:7.0.15',
    'redis_mode:standalone',
    `run_id:${runId}`,
    'uptime_in_seconds:100',
    '# Clients',
    'connected_clients:3',
    'blocked_clients:0',
    '# Memory',
    'used_memory:1000000',
    'maxmemory:0',
    '# Persistence',
    'rdb_last_bgsave_status:ok',
    'aof_last_bgrewrite_status:err',
    'latest_fork_usec:1500',
    '# Stats',
    'total_commands_processed:42',
    'evicted_keys:0',
    `# Replication`,
    `role:${role}`,
  ];
  if (role === 'master') {
    const other = t.nodes.find((n) => n.name !== runId)!;
    lines.push(
      'connected_slaves:1',
      `slave0:ip=127.0.0.1,port=${other.port},state=online,offset=900,lag=1`,
      'master_repl_offset:1000',
    );
  } else {
    lines.push(
      'master_host:127.0.0.1',
      `master_port:${of}`,
      'master_link_status:up',
      'slave_repl_offset:990',
      'master_repl_offset:990',
      'connected_slaves:0',
    );
  }
  lines.push('# Keyspace', 'db0:keys=5,expires=1,avg_ttl=0');
  return lines.join('\r\n');
}

function sentinel(primaryPort: number, flags = 'master'): SentinelReplies {
  return {
    info: parseInfo('redis_mode:sentinel\r\nsentinel_tilt:0\r\nsentinel_masters:1\r\nrun_id:s'),
    master: {
      name: 'mymaster',
      ip: '127.0.0.1',
      port: String(primaryPort),
      flags,
      quorum: '2',
      'config-epoch': '1',
    },
    replicas: [{ flags: 'slave', 'master-link-status': 'ok' }],
    sentinels: [{ flags: 'sentinel' }, { flags: 's_down,sentinel' }],
    ckquorumOk: true,
  };
}

function scrape(primary: 'redis01' | 'redis02', o: { hung?: string } = {}): ScrapeData {
  const p = primary === 'redis01' ? n1! : n2!;
  const r = primary === 'redis01' ? n2! : n1!;
  const infos: Record<string, string> = {
    [p.name]: nodeInfo('master', p.name),
    [r.name]: nodeInfo('slave', r.name, p.port),
  };
  return {
    at: 1_700_000_000_000,
    nodes: t.nodes.map((n) =>
      n.name === o.hung
        ? { name: n.name, error: 'no reply within 1000ms' }
        : { name: n.name, info: parseInfo(infos[n.name]!) },
    ),
    sentinels: t.sentinels.map((s) => ({ name: s.name, replies: sentinel(p.port) })),
    endpoints: [{ endpoint: 'primary', runId: p.name, seconds: 0.001 }],
    failovers: { count: 0, inProgress: false },
  };
}

/** name{labels} of every sample, values left out. */
function seriesKeys(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.slice(0, l.lastIndexOf(' '))),
  );
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('exposition: HELP/TYPE once per family, escaped label values, counters end in _total', () => {
  const m = new MetricSet();
  m.gauge('a_b', 'help with \\ and\nnewline', 1, { x: 'quote " back \\ nl \n' });
  m.gauge('a_b', 'ignored', 2, { x: 'y' });
  m.gauge('skipped', 'undefined values are left out', undefined);
  m.counter('c_total', 'a counter', 3);
  assert.equal(
    m.render(),
    [
      '# HELP a_b help with \\\\ and\\nnewline',
      '# TYPE a_b gauge',
      'a_b{x="quote \\" back \\\\ nl \\n"} 1',
      'a_b{x="y"} 2',
      '# HELP c_total a counter',
      '# TYPE c_total counter',
      'c_total 3',
      '',
    ].join('\n'),
  );
  assert.throws(() => m.counter('bad', 'no suffix', 1), /_total/);
  assert.throws(() => m.gauge('bad-name', 'dash', 1), /invalid metric name/);
  assert.equal(renderFamilies([]), '\n');
});

test('metrics: redis_exporter names, the majority primary, endpoint reach, replica lag', () => {
  const text = buildMetrics(t, scrape('redis01')).render();
  assert.equal(value(text, 'redis_up{node="redis01"}'), 1);
  assert.equal(value(text, 'redis_up{sentinel="sentinel-redis01"}'), 1);
  assert.equal(value(text, 'redis_connected_clients{node="redis02"}'), 3);
  assert.equal(value(text, 'redis_commands_processed_total{node="redis01"}'), 42);
  assert.equal(value(text, 'redis_latest_fork_seconds{node="redis01"}'), 0.0015);
  assert.equal(value(text, 'redis_rdb_last_bgsave_status{node="redis01"}'), 1);
  assert.equal(value(text, 'redis_aof_last_bgrewrite_status{node="redis01"}'), 0);
  assert.equal(value(text, 'redis_db_keys{node="redis01",db="db0"}'), 5);
  assert.equal(value(text, 'redis_master_link_up{node="redis02"}'), 1);
  assert.equal(
    value(text, 'redis_connected_slave_lag_seconds{node="redis01",replica="redis02"}'),
    1,
  );
  assert.equal(value(text, 'redis_ha_primary{node="redis01"}'), 1);
  assert.equal(value(text, 'redis_ha_primary{node="redis02"}'), 0);
  assert.equal(value(text, 'redis_ha_replica_lag_bytes{node="redis02"}'), 10);
  assert.equal(value(text, 'redis_ha_replica_follows_primary{node="redis02"}'), 1);
  assert.equal(value(text, 'redis_ha_sentinels_agree'), 1);
  assert.equal(value(text, 'redis_ha_endpoint_reaches_primary{endpoint="primary"}'), 1);
  assert.equal(
    value(
      text,
      'redis_sentinel_master_ok_sentinels{sentinel="sentinel-redis01",master_name="mymaster"}',
    ),
    2,
  );
  assert.equal(
    value(
      text,
      'redis_ha_sentinel_names_primary{sentinel="sentinel-redis02",master_name="mymaster",node="redis01"}',
    ),
    1,
  );
  // The role is a value (and a label of the info metric only): a failover strands no series.
  for (const k of seriesKeys(text))
    if (k.includes('role=')) assert.ok(k.startsWith('redis_instance_info'), k);
});

test('metrics: a failover changes values, never the label sets of role-independent series', () => {
  const before = buildMetrics(t, scrape('redis01')).render();
  const after = buildMetrics(t, scrape('redis02')).render();
  const roleIndependent = (k: string): boolean =>
    !/^(redis_instance_info|redis_master_|redis_slave_|redis_connected_slave_|redis_ha_connected_replica_|redis_ha_replica_)/.test(
      k,
    );
  const b = [...seriesKeys(before)].filter(roleIndependent).sort();
  const a = [...seriesKeys(after)].filter(roleIndependent).sort();
  assert.deepEqual(a, b);
  assert.equal(value(after, 'redis_ha_primary{node="redis02"}'), 1);
  assert.equal(value(after, 'redis_ha_node_is_primary{node="redis01"}'), 0);
  // The replica-only series follow the role, keyed by the node, never by an address.
  assert.ok(!after.includes('master_host='));
  assert.equal(value(after, 'redis_master_link_up{node="redis01"}'), 1);
});

test('metrics: a hung node is redis_up 0 with no other series for it; the others are intact', () => {
  const text = buildMetrics(t, scrape('redis01', { hung: 'redis02' })).render();
  assert.equal(value(text, 'redis_up{node="redis02"}'), 0);
  assert.equal(value(text, 'redis_connected_clients{node="redis02"}'), undefined);
  assert.equal(value(text, 'redis_up{node="redis01"}'), 1);
  assert.equal(value(text, 'redis_ha_primary{node="redis01"}'), 1);
});

test('failover history: one entry per failover although every sentinel announces it', () => {
  const h = new FailoverHistory(
    (host, port) => t.nodes.find((n) => n.port === port)?.name ?? `${host}:${port}`,
    20_000,
  );
  assert.equal(h.observe('redis01', 0), undefined);
  h.onMessage('+sdown', `master mymaster 127.0.0.1 ${n1!.port}`, 1000);
  h.onMessage('+odown', `master mymaster 127.0.0.1 ${n1!.port} #quorum 2/2`, 1100);
  h.onMessage('+try-failover', `master mymaster 127.0.0.1 ${n1!.port}`, 1200);
  assert.equal(h.inProgress, true);
  const sw = `mymaster 127.0.0.1 ${n1!.port} 127.0.0.1 ${n2!.port}`;
  const e = h.onMessage('+switch-master', sw, 1600);
  assert.deepEqual(e, {
    from: 'redis01',
    to: 'redis02',
    startedAt: 1000,
    endedAt: 1600,
    durationMs: 600,
    inferred: false,
  });
  assert.equal(h.onMessage('+switch-master', sw, 1601), undefined);
  assert.equal(h.onMessage('+switch-master', sw, 1650), undefined);
  assert.equal(h.count, 1);
  assert.equal(h.inProgress, false);
  assert.equal(h.observe('redis02', 2000), undefined);
  // A scrape begun before the switch (its sentinels answered before it) does not undo it.
  assert.equal(h.observe('redis01', 1590), undefined);
  assert.equal(h.count, 1);
  // Looks right after the leader's +switch-master, while the other sentinels still name the old
  // primary (they learn it from hellos, every 2 s): not a failover back.
  assert.equal(h.observe('redis01', 1700), undefined);
  assert.equal(h.observe('redis01', 3500), undefined);
  assert.equal(h.count, 1);
  // A switch the event stream missed is found by the next scrape, without a duration.
  const missed = h.observe('redis01', 90_000);
  assert.equal(missed?.inferred, true);
  assert.equal(missed?.durationMs, undefined);
  assert.equal(h.count, 2);
  // A recovered +sdown does not start the next failover's clock.
  h.onMessage('+sdown', `master mymaster 127.0.0.1 ${n1!.port}`, 100_000);
  h.onMessage('-sdown', `master mymaster 127.0.0.1 ${n1!.port}`, 100_500);
  h.onMessage('+try-failover', `master mymaster 127.0.0.1 ${n1!.port}`, 200_000);
  const next = h.onMessage(
    '+switch-master',
    `mymaster 127.0.0.1 ${n1!.port} 127.0.0.1 ${n2!.port}`,
    200_300,
  );
  assert.equal(next?.durationMs, 300);
});

test('docs/prometheus/redis-ha-alerts.yml is generated from the code', () => {
  const doc = readFileSync(
    new URL('../../../docs/prometheus/redis-ha-alerts.yml', import.meta.url),
    'utf8',
  );
  assert.equal(doc, renderAlertRules(), 'stale: run `npm run docs`');
});

test('check service: runs only checks of its own members, never file or TLS options', () => {
  const s = t.sentinels.map((x) => `127.0.0.1:${x.port}`).join(',');
  const p = String(n1!.port);
  assert.equal(declineReason(t, 'redis', ['-p', p, '-P', 'x', '--sentinels', s]), undefined);
  assert.equal(
    declineReason(t, 'redis', ['--bogus']),
    undefined,
    'bad args: the plugin says UNKNOWN',
  );
  assert.match(declineReason(t, 'redis', ['-H', 'localhost', '-p', p]) ?? '', /not a member/);
  assert.match(declineReason(t, 'redis', ['-p', '1']) ?? '', /127\.0\.0\.1:1 is not a member/);
  assert.match(
    declineReason(t, 'redis', ['-p', p, '--sentinels', `${s},127.0.0.1:9`]) ?? '',
    /not a member/,
  );
  assert.match(
    declineReason(t, 'redis', ['-p', p, '--password-file', '/etc/shadow']) ?? '',
    /run locally/,
  );
  assert.match(declineReason(t, 'redis', ['-p', p, '--cacert=/x']) ?? '', /run locally/);
  assert.match(declineReason(t, 'redis', ['-p', p, '--tls']) ?? '', /run locally/);
  // With TLS: only against the topology's own CA, never with key material.
  const tt = { ...t, tls: { enabled: true } };
  const ca = caFile(tt);
  assert.equal(declineReason(tt, 'redis', ['-p', p, '--tls', '--cacert', ca]), undefined);
  assert.equal(declineReason(tt, 'redis', ['-p', p, `--cacert=${ca}`]), undefined);
  assert.match(
    declineReason(tt, 'redis', ['-p', p, '--tls', '--cacert', '/x']) ?? '',
    /run locally/,
  );
  assert.match(declineReason(tt, 'redis', ['-p', p, '--tls']) ?? '', /run locally/);
  assert.match(
    declineReason(tt, 'redis', ['-p', p, '--tls', '--cacert', ca, '--key', '/k']) ?? '',
    /run locally/,
  );
  const sp = String(t.sentinels[0]!.port);
  assert.equal(declineReason(t, 'sentinel', ['-p', sp, '--all', s]), undefined);
  assert.match(
    declineReason(t, 'sentinel', ['-p', sp, '--all', '10.0.0.1:26379']) ?? '',
    /not a member/,
  );
  assert.equal(declineReason(t, 'endpoint', ['-p', p, '--sentinels', s]), undefined);
});
