import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyProblems } from '../helpers/topology.js';
import { parseTopologyText } from '../../src/topology/load.js';
import { clusterNodes, type Topology } from '../../src/topology/model.js';
import { bindPorts } from '../../src/state/ports.js';
import { emptyState } from '../../src/state/state-dir.js';

const OK = 'cluster:\n  shards: 3\n';

function load(yaml: string): Topology {
  return parseTopologyText(yaml, 'c.yaml', '/tmp');
}

const problems = (yaml: string): string[] => topologyProblems(() => load(yaml));

/** Three shards written out, one replica each, `hosts` a, b, c. */
const HOSTS = `hosts:
  a: {address: 10.0.0.1}
  b: {address: 10.0.0.2}
  c: {address: 10.0.0.3}
cluster:
  shards:
    - primary: {host: a}
      replicas: [{host: b}]
    - primary: {host: b}
      replicas: [{host: c}]
    - primary: {host: c}
      replicas: [{host: a}]
`;

const cases: [string, string, string[]][] = [
  [
    'fewer than three primaries',
    'cluster:\n  shards: 2\n',
    [
      'c.yaml:2: cluster.shards: expected at least 3 shards (primaries), found 2: failures are detected and replicas elected by a majority of primaries, so with fewer one failure stops the whole cluster',
    ],
  ],
  [
    "a replica on its primary's host",
    HOSTS.replace('replicas: [{host: c}]', 'replicas: [{host: b}]'),
    [
      'c.yaml:10: cluster.shards.1.replicas.0.host: shard2-2 runs on host "b" like its shard\'s primary shard2-1: losing that host would lose the whole shard shard2; put the replicas of a shard on other hosts',
    ],
  ],
  [
    'a member on an undeclared host',
    HOSTS.replace('primary: {host: c}', 'primary: {host: cc}'),
    [
      'c.yaml:11: cluster.shards.2.primary.host: "cc" is not a host of `hosts` (a, b, c); did you mean "c"?',
    ],
  ],
  [
    "a data port on another node's bus port",
    'cluster:\n  shards:\n    - primary: {port: 7000}\n    - primary: {port: 17000, busPort: 20000}\n    - primary: {port: 7002}\n',
    [
      'c.yaml:4: cluster.shards.1.primary.port: 127.0.0.1:17000 is already used by cluster.shards.0.primary (bus port)',
    ],
  ],
  [
    'a port without room for the default bus port',
    'cluster:\n  shards:\n    - primary: {port: 60000}\n    - primary: {}\n    - primary: {}\n',
    [
      'c.yaml:3: cluster.shards.0.primary.port: port 60000 leaves no default bus port (port + 10000 > 65535); use a lower port or set busPort',
    ],
  ],
  [
    'sentinels in a cluster topology',
    `${OK}sentinels:\n  s1: {}\n`,
    [
      'c.yaml:4: sentinels: applies to a Sentinel topology only: a cluster topology has no sentinels (Redis Cluster detects failures and elects primaries itself)',
    ],
  ],
  [
    'min-replicas in a cluster topology',
    `${OK}replication:\n  minReplicasToWrite: 1\n`,
    [
      'c.yaml:4: replication.minReplicasToWrite: is not used in a cluster topology: a shard whose replicas are gone keeps taking writes (and `status` reports it)',
    ],
  ],
  [
    'replicasPerShard with written-out shards',
    HOSTS.replace('cluster:\n', 'cluster:\n  replicasPerShard: 2\n'),
    [
      'c.yaml:6: cluster.replicasPerShard: applies to `shards: N` only; list the replicas of each shard instead',
    ],
  ],
  [
    'a misspelt member key',
    HOSTS.replace('primary: {host: a}', 'primary: {host: a, prot: 7000}'),
    ['c.yaml:7: cluster.shards.0.primary.prot: unknown key (did you mean "port"?)'],
  ],
  [
    'shards neither a number nor a list',
    'cluster:\n  shards: three\n',
    [
      'c.yaml:2: cluster.shards: expected a number of shards or a list of shards ({name, primary, replicas})',
    ],
  ],
  [
    'a bad port inside a shard list',
    HOSTS.replace('primary: {host: b}', 'primary: {host: b, port: 70000}'),
    ['c.yaml:9: cluster.shards.1.primary.port: expected a port number 1-65535 or "auto"'],
  ],
  [
    'a misspelt cluster key',
    'clustr:\n  shards: 3\n',
    [
      'c.yaml:1: cluster: missing; a value is required',
      'c.yaml:2: clustr: unknown key (did you mean "cluster"?)',
    ],
  ],
  [
    'two members with one name',
    'cluster:\n  shards:\n    - primary: {name: x}\n    - primary: {name: x}\n    - primary: {}\n',
    [
      'c.yaml:4: cluster.shards.1.primary.name: "x" is already the name of member cluster.shards.0.primary; names must be unique',
    ],
  ],
];

for (const [name, yaml, expected] of cases)
  test(`cluster topology error: ${name}`, () => assert.deepEqual(problems(yaml), expected));

test('a Sentinel topology is unchanged by the cluster mode', () => {
  const t = load(
    'nodes:\n  r1: {role: primary}\n  r2: {role: replica}\nsentinels:\n  s1: {}\n  s2: {}\n  s3: {}\n',
  );
  assert.equal(t.kind, 'sentinel');
  assert.equal(t.cluster, undefined);
});

test('generated shards: names, roles, one replica each, on the next host', () => {
  const t = load(
    `hosts:\n  a: {address: 10.0.0.1}\n  b: {address: 10.0.0.2}\n  c: {address: 10.0.0.3}\ncluster:\n  shards: 3\n  hosts: [a, b, c]\n`,
  );
  assert.equal(t.kind, 'cluster');
  assert.deepEqual(
    clusterNodes(t).map((n) => `${n.name} ${n.role} ${n.shard} ${n.hostName}`),
    [
      'shard1-1 primary shard1 a',
      'shard1-2 replica shard1 b',
      'shard2-1 primary shard2 b',
      'shard2-2 replica shard2 c',
      'shard3-1 primary shard3 c',
      'shard3-2 replica shard3 a',
    ],
  );
  assert.deepEqual(t.cluster?.shards[0], {
    name: 'shard1',
    primary: 'shard1-1',
    replicas: ['shard1-2'],
  });
  assert.equal(t.cluster?.nodeTimeoutMs, 2000);
  assert.equal(t.sentinels.length, 0);
  assert.equal(t.replication.minReplicasToWrite, 0);
  assert.equal(t.replication.disklessSyncDelayMs, 0);
  assert.deepEqual(t.warnings, []);
});

test('two replicas per shard: diskless sync batches (auto = 1s)', () => {
  const t = load('cluster: {shards: 3, replicasPerShard: 2}\n');
  assert.equal(t.nodes.length, 9);
  assert.equal(t.replication.disklessSyncDelayMs, 1000);
});

test('warning: one host holds a majority of primaries although three hosts are declared', () => {
  const t = load(
    HOSTS.replace(
      '- primary: {host: b}\n      replicas: [{host: c}]',
      '- primary: {host: a}\n      replicas: [{host: c}]',
    ),
  );
  assert.deepEqual(t.warnings, [
    'host "a" runs 2 of the 3 primaries, a majority: if it fails, the others cannot elect replicas for them; spread the primaries over the 3 hosts',
  ]);
});

test('no warning when the majority is unavoidable (3 primaries, 2 hosts)', () => {
  const t = load(
    'hosts:\n  a: {address: 10.0.0.1}\n  b: {address: 10.0.0.2}\ncluster:\n  shards: 3\n  hosts: [a, b]\n',
  );
  assert.deepEqual(t.warnings, []);
});

test('warning: a shard without replica', () => {
  const t = load('cluster: {shards: 3, replicasPerShard: 0}\n');
  assert.match(t.warnings[0] ?? '', /^no replica in shard1, shard2, shard3: /);
});

test('bus ports: port + 10000 by default, explicit busPort kept, announce carried', () => {
  const t = load(
    'cluster:\n  shards:\n    - primary: {port: 7100, announce: {ip: 203.0.113.7, port: 30001, busPort: 30002}}\n    - primary: {port: 7101, busPort: 7201}\n    - primary: {}\n',
  );
  const [a, b, c] = clusterNodes(t);
  assert.equal(a?.busPort, 17100);
  assert.deepEqual(a?.announce, { ip: '203.0.113.7', port: 30001, busPort: 30002 });
  assert.equal(b?.busPort, 7201);
  assert.equal(c?.busPort, 'auto');
});

test('bindPorts on other machines: 7000, 7001, ... and their bus ports per host, kept in the state', async () => {
  const t = load(HOSTS);
  const state = emptyState();
  const b = await bindPorts(t, state, false);
  assert.deepEqual(
    clusterNodes(b).map((n) => `${n.host}:${n.port}@${n.busPort}`),
    [
      '10.0.0.1:7000@17000',
      '10.0.0.2:7000@17000',
      '10.0.0.2:7001@17001',
      '10.0.0.3:7000@17000',
      '10.0.0.3:7001@17001',
      '10.0.0.1:7001@17001',
    ],
  );
  assert.equal(state.ports['shard1-1'], 7000);
  assert.equal(state.ports['shard1-1@bus'], 17000);
  state.ports['shard1-1'] = 7300;
  state.ports['shard1-1@bus'] = 7400;
  const again = await bindPorts(t, state, false);
  assert.equal(`${again.nodes[0]?.port}`, '7300', 'a kept choice sticks');
  assert.equal(clusterNodes(again)[0]?.busPort, 7400);
});
