import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAll } from '../../src/render/render-all.js';
import { bindPorts } from '../../src/state/ports.js';
import { StateDir, emptyState } from '../../src/state/state-dir.js';
import { parseTopologyText } from '../../src/topology/load.js';
import { designatedPrimary } from '../../src/topology/model.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { boundTopology } from '../helpers/bound.js';
import { FAKE_SECRETS } from '../helpers/fixtures.js';

async function render(yaml: string): Promise<(m: string) => string[]> {
  const t = await bindPorts(parseTopologyText(yaml, 'c.yaml', '/srv'), emptyState(), false);
  const files = renderAll(t, {
    root: new StateDir('/srv/ha'),
    secrets: FAKE_SECRETS,
    primary: designatedPrimary(t),
    sentinelIds: {},
    gatePriority: true,
  });
  assert.equal(files.length, t.nodes.length, 'one redis.conf per node, no sentinel.conf');
  return (m) => (files.find((f) => f.member === m)?.content ?? assert.fail(`no ${m}`)).split('\n');
}

test('cluster redis.conf: cluster settings, replication user, no replicaof or min-replicas', async () => {
  const conf = await render('cluster: {shards: 3, nodeTimeout: 2s}\n');
  for (const name of ['shard1-1', 'shard1-2']) {
    const lines = conf(name);
    const dir = `/srv/ha/nodes/${name}`;
    for (const line of [
      'cluster-enabled yes',
      `cluster-config-file "${dir}/nodes.conf"`,
      'cluster-node-timeout 2000',
      name === 'shard1-1' ? 'cluster-port 17000' : 'cluster-port 17001',
      'cluster-require-full-coverage no',
      'cluster-allow-replica-migration no',
      'masteruser replication',
      `masterauth "${'l'.repeat(43)}"`,
      'repl-diskless-sync yes',
      'repl-diskless-sync-delay 0',
      'save 60 1',
      `dir "${dir}"`,
    ])
      assert.ok(lines.includes(line), `${name}: missing line: ${line}`);
    for (const prefix of [
      'replicaof',
      'min-replicas',
      'tls-cluster',
      'cluster-announce',
      'replica-priority',
    ])
      assert.ok(!lines.some((l) => l.startsWith(prefix)), `${name}: unexpected ${prefix}`);
    const monitor = lines.find((l) => l.startsWith('user monitor on'));
    assert.match(
      monitor ?? '',
      / \+cluster\|info \+cluster\|nodes \+cluster\|shards \+cluster\|slots \+cluster\|myid$/,
    );
  }
});

test('cluster redis.conf under TLS: TLS port, TLS replication and bus; NAT announce', async () => {
  const conf = await render(
    'tls: true\npersistence: {mode: none}\ncluster:\n  shards:\n    - primary: {port: 7100, announce: {ip: 203.0.113.7, port: 30001, busPort: 30002}}\n    - primary: {port: 7101, busPort: 7201}\n    - primary: {port: 7102}\n',
  );
  const a = conf('shard1-1');
  for (const line of [
    'port 0',
    'tls-port 7100',
    'tls-replication yes',
    'tls-cluster yes',
    'cluster-port 17100',
    'cluster-announce-ip 203.0.113.7',
    'replica-announce-ip 203.0.113.7',
    'cluster-announce-tls-port 30001',
    'replica-announce-port 30001',
    'cluster-announce-bus-port 30002',
    'save ""',
    'appendonly no',
  ])
    assert.ok(a.includes(line), `missing line: ${line}`);
  assert.ok(conf('shard2-1').includes('cluster-port 7201'));
});

test('Sentinel redis.conf: no cluster line, the monitor user without CLUSTER', () => {
  const t = boundTopology(SEED_TOPOLOGY, 7000);
  const files = renderAll(t, {
    root: new StateDir('/srv/ha'),
    secrets: FAKE_SECRETS,
    primary: designatedPrimary(t),
    sentinelIds: Object.fromEntries(t.sentinels.map((s, i) => [s.name, String(i).repeat(40)])),
    gatePriority: true,
  });
  const conf = files.find((f) => f.member === 'redis02')?.content ?? '';
  assert.ok(!conf.includes('cluster'), 'no cluster setting');
  assert.match(conf, /^replicaof 127\.0\.0\.1 7000$/m);
  assert.match(conf, /^user monitor on .*\+dbsize$/m);
});
