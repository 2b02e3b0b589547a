import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCluster, type ClusterView, type NodeSnapshot } from '../../src/cluster/analyze.js';
import { slotDigest } from '../../src/cluster/agreement.js';
import { clusterEvents } from '../../src/cluster/events.js';
import {
  formatSlots,
  parseClusterInfo,
  parseClusterNodes,
  parseClusterShards,
  splitSlots,
} from '../../src/cluster/parse.js';
import { planFormation } from '../../src/cluster/plan.js';
import type { ShardSpec } from '../../src/topology/model.js';
import type { ClusterFixture } from '../helpers/record-cluster-fixtures.js';
import { fixtureSnapshots, readClusterFixture } from '../helpers/cluster-fixtures.js';

/** Replies recorded from a real 3x1 cluster (test/helpers/record-cluster-fixtures.ts). */
function fixture(state: string): { f: ClusterFixture; layout: ShardSpec[]; snaps: NodeSnapshot[] } {
  const f = readClusterFixture(state);
  const snaps = fixtureSnapshots(f);
  return { f, layout: f.shards, snaps };
}

const view = (state: string): ClusterView => {
  const { layout, snaps } = fixture(state);
  return analyzeCluster(layout, snaps);
};
const shard = (v: ClusterView, name: string) =>
  v.shards.find((s) => s.name === name) ?? assert.fail(`no shard ${name}`);
const member = (v: ClusterView, name: string) =>
  v.shards.flatMap((s) => s.members).find((m) => m.name === name) ?? assert.fail(`no ${name}`);

test('slots split as redis-cli --cluster create does', () => {
  assert.equal(formatSlots(splitSlots(3)), '0-5460,5461-10922,10923-16383');
  for (const n of [3, 4, 5, 7, 10, 128]) {
    const r = splitSlots(n);
    assert.equal(r.length, n);
    assert.equal(r[0]?.start, 0);
    assert.equal(r.at(-1)?.end, 16383);
    r.forEach((x, i) => i > 0 && assert.equal(x.start, (r[i - 1]?.end ?? 0) + 1));
  }
});

test('parse: CLUSTER NODES, SHARDS and INFO of a healthy cluster agree', () => {
  const { f } = fixture('healthy');
  for (const n of f.nodes) {
    const r = n.replies ?? assert.fail(`${n.name} did not answer`);
    const nodes = parseClusterNodes(r.clusterNodes);
    assert.equal(nodes.length, 6);
    assert.equal(nodes.filter((e) => e.myself).length, 1);
    assert.equal(nodes.find((e) => e.myself)?.id, r.myId);
    const primaries = nodes
      .filter((e) => e.role === 'primary')
      .sort((a, b) => (a.slots[0]?.start ?? 0) - (b.slots[0]?.start ?? 0));
    assert.deepEqual(
      primaries.map((e) => formatSlots(e.slots)),
      ['0-5460', '5461-10922', '10923-16383'],
    );
    for (const e of nodes.filter((x) => x.role === 'replica'))
      assert.ok(
        primaries.some((p) => p.id === e.primaryId),
        'a replica names its primary',
      );
    const shards = parseClusterShards(r.clusterShards);
    assert.equal(shards.length, 3);
    const fromShards = shards.flatMap((s) =>
      s.slots.map((x) => ({ ...x, id: s.nodes.find((m) => m.role === 'primary')?.id })),
    );
    assert.equal(
      fromShards
        .sort((a, b) => a.start - b.start)
        .map((x) => `${x.start}-${x.end}=${x.id}`)
        .join(' '),
      slotDigest(nodes),
    );
    assert.ok(
      shards.every((s) => s.nodes.length === 2 && s.nodes.every((m) => m.health === 'online')),
    );
    const info = parseClusterInfo(r.clusterInfo);
    assert.equal(info.state, 'ok');
    assert.equal(info.knownNodes, 6);
    assert.equal(info.size, 3);
    assert.equal(info.slotsAssigned, 16384);
  }
});

test('healthy: every shard ok, one slot map, distinct epochs, replicas synced', () => {
  const v = view('healthy');
  assert.deepEqual(v.problems, []);
  assert.equal(v.healthy, true);
  assert.deepEqual(v.slotMap, { agreed: true, dissenting: [], majoritySize: 6, assigned: 16384 });
  assert.deepEqual(v.epochs, { distinct: true, agreed: true });
  assert.deepEqual(v.primaries, { total: 3, reachable: 3, needed: 2, quorum: true });
  for (const [i, s] of v.shards.entries()) {
    assert.equal(s.state, 'ok');
    assert.equal(s.primary, `shard${i + 1}-1`);
    assert.equal(s.replicasSynced, 1);
    assert.equal(s.slotCount, i === 1 ? 5462 : 5461);
    const r = s.members[1] ?? assert.fail('no replica');
    assert.equal(r.following, s.primary);
    assert.equal(r.lagBytes, 0);
    assert.equal(r.primarySees, 'online');
  }
});

test('a primary killed: pfail from its peers, its shard failing, the others ok', () => {
  const v = view('primary-pfail');
  assert.equal(v.healthy, false);
  const dead = member(v, 'shard1-1');
  assert.equal(dead.reachable, false);
  assert.ok(
    dead.pfailBy > 0 && dead.failBy === 0,
    `pfail by ${dead.pfailBy}, fail by ${dead.failBy}`,
  );
  assert.ok(dead.flags.includes('pfail'));
  assert.equal(shard(v, 'shard1').state, 'failing');
  assert.equal(shard(v, 'shard1').primary, 'shard1-1', 'it still owns its slots');
  assert.equal(shard(v, 'shard2').state, 'ok');
  assert.equal(shard(v, 'shard3').state, 'ok');
  assert.equal(member(v, 'shard1-2').synced, false, 'its replica lost the link');
  assert.deepEqual(v.primaries, { total: 3, reachable: 2, needed: 2, quorum: true });
  assert.ok(v.problems.includes('shard1: primary shard1-1 is unreachable'), v.problems.join('\n'));
});

test('then FAIL: the majority agreed, no replica promoted yet', () => {
  const v = view('primary-fail');
  const dead = member(v, 'shard1-1');
  assert.ok(dead.failBy > 0);
  assert.ok(dead.flags.includes('fail'));
  assert.equal(shard(v, 'shard1').primary, 'shard1-1');
  assert.equal(member(v, 'shard1-2').role, 'replica');
  assert.ok(v.shards.slice(1).every((s) => s.state === 'ok'));
});

test('after the failover: the replica owns the slots with a new, higher epoch', () => {
  const before = view('healthy');
  const v = view('after-failover');
  const s1 = shard(v, 'shard1');
  assert.equal(s1.primary, 'shard1-2');
  assert.equal(s1.primaryConfirmed, true);
  assert.equal(formatSlots(s1.slots), '0-5460');
  assert.ok((s1.configEpoch ?? 0) > Math.max(...before.shards.map((s) => s.configEpoch ?? 0)));
  assert.equal(s1.state, 'degraded', 'serving, without a synced replica');
  assert.equal(s1.replicasSynced, 0);
  assert.equal(v.slotMap.agreed, true);
  assert.deepEqual(v.epochs, { distinct: true, agreed: true });
  assert.equal(member(v, 'shard1-1').reachable, false);
});

test('the old primary back: a replica at once, its full sync waiting', () => {
  const v = view('replica-syncing');
  const old = member(v, 'shard1-1');
  assert.equal(old.role, 'replica');
  assert.equal(old.following, 'shard1-2');
  assert.equal(old.syncing, true);
  assert.equal(old.primarySees, 'wait_bgsave');
  assert.equal(old.synced, false);
  assert.equal(shard(v, 'shard1').state, 'degraded');
  assert.ok(
    v.problems.includes('shard1: replica shard1-1 is not linked to its primary'),
    v.problems.join('\n'),
  );
});

test('rejoined: healthy again with the roles of shard1 swapped', () => {
  const v = view('rejoined');
  assert.deepEqual(v.problems, []);
  assert.equal(shard(v, 'shard1').primary, 'shard1-2');
  assert.equal(member(v, 'shard1-1').synced, true);
});

test('events along the recorded sequence: what a cluster view would publish', () => {
  const states = [
    'healthy',
    'primary-pfail',
    'primary-fail',
    'after-failover',
    'replica-syncing',
    'rejoined',
  ];
  const views = states.map(view);
  const steps = views.map((v, i) => clusterEvents(i === 0 ? undefined : views[i - 1], v));
  assert.deepEqual(
    steps[0]?.map((e) => `${e.type} ${'node' in e ? e.node : ''}`),
    [
      'primary-confirmed shard1-1',
      'replica-synced shard1-2',
      'primary-confirmed shard2-1',
      'replica-synced shard2-2',
      'primary-confirmed shard3-1',
      'replica-synced shard3-2',
    ],
  );
  assert.deepEqual(steps[1], [
    { type: 'primary-leaving', shard: 'shard1', node: 'shard1-1', reason: 'pfail' },
    { type: 'replica-lost', shard: 'shard1', node: 'shard1-2' },
  ]);
  assert.deepEqual(steps[2], []);
  assert.deepEqual(steps[3], [
    {
      type: 'primary-confirmed',
      shard: 'shard1',
      node: 'shard1-2',
      configEpoch: shard(views[3] ?? assert.fail(), 'shard1').configEpoch,
    },
  ]);
  assert.deepEqual(steps[4], []);
  assert.deepEqual(steps[5], [
    { type: 'replica-synced', shard: 'shard1', node: 'shard1-1', primary: 'shard1-2' },
  ]);
});

test('quorum lost when a majority of primaries is out of reach', () => {
  const { layout, snaps } = fixture('healthy');
  const cut = snaps.map((s) =>
    s.name === 'shard1-1' || s.name === 'shard2-1' ? { ...s, reachable: false } : s,
  );
  const v = analyzeCluster(layout, cut);
  assert.deepEqual(v.primaries, { total: 3, reachable: 1, needed: 2, quorum: false });
  assert.deepEqual(
    clusterEvents(view('healthy'), v).filter((e) => e.type.startsWith('quorum')),
    [{ type: 'quorum-lost', reachable: 1, needed: 2 }],
  );
});

test('a node with a stale slot map disagrees with the majority', () => {
  const { layout, snaps } = fixture('after-failover');
  const stale = fixture('healthy').snaps.find((s) => s.name === 'shard2-2');
  const mixed = snaps.map((s) => (s.name === 'shard2-2' && stale ? stale : s));
  const v = analyzeCluster(layout, mixed);
  assert.equal(v.slotMap.agreed, false);
  assert.deepEqual(v.slotMap.dissenting, ['shard2-2']);
  assert.equal(member(v, 'shard2-2').agrees, false);
});

test('formation plan: nothing to do on a formed cluster, everything on fresh nodes', () => {
  const { layout, snaps } = fixture('healthy');
  assert.deepEqual(planFormation(layout, snaps), {
    fresh: false,
    seed: 'shard1-1',
    epochs: [],
    slots: [],
    meet: [],
    replicate: [],
  });
  const fresh = snaps.map((s, i): NodeSnapshot => ({
    ...s,
    myId: String(i).repeat(40),
    nodes: parseClusterNodes(
      `${String(i).repeat(40)} ${s.host}:${s.port}@${s.port + 10000} myself,master - 0 0 0 connected`,
    ),
    info: parseClusterInfo(
      'cluster_state:fail\r\ncluster_known_nodes:1\r\ncluster_current_epoch:0\r\n',
    ),
  }));
  const plan = planFormation(layout, fresh);
  assert.equal(plan.fresh, true);
  assert.deepEqual(
    plan.epochs.map((e) => `${e.node}=${e.epoch}`),
    ['shard1-1=1', 'shard2-1=2', 'shard3-1=3', 'shard1-2=4', 'shard2-2=5', 'shard3-2=6'],
  );
  assert.deepEqual(
    plan.slots.map((x) => `${x.node} ${formatSlots([x.range])}`),
    ['shard1-1 0-5460', 'shard2-1 5461-10922', 'shard3-1 10923-16383'],
  );
  assert.deepEqual(plan.meet, ['shard1-2', 'shard2-1', 'shard2-2', 'shard3-1', 'shard3-2']);
  assert.deepEqual(
    plan.replicate.map((r) => r.node),
    ['shard1-2', 'shard2-2', 'shard3-2'],
  );
});

test('formation plan: a shard whose range another node holds is refused, not reassigned', () => {
  const { layout, snaps } = fixture('healthy');
  const four = [...layout, { name: 'shard4', primary: 'shard3-2', replicas: [] }];
  const third = four.map((s) => (s.name === 'shard3' ? { ...s, replicas: [] } : s));
  assert.throws(
    () => planFormation(third, snaps),
    /shard shard4 owns no slots, and its range 12288-16383 is held by node/,
  );
});

test('formed but not yet a full mesh: a peer known from gossip only is not healthy', () => {
  const v = view('mesh-incomplete');
  assert.equal(v.slotMap.agreed, true);
  assert.ok(v.shards.every((s) => s.state === 'ok'));
  assert.equal(v.healthy, false);
  assert.deepEqual(v.problems, ['shard1-2: no link to shard3-2 yet']);
});
