import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCluster } from '../../src/cluster/analyze.js';
import { parseClusterNodes } from '../../src/cluster/parse.js';
import {
  nodeClusterFindings,
  shardsFrom,
  wholeClusterFindings,
} from '../../src/monitor/cluster-findings.js';
import { formatOutput, worst, type Finding } from '../../src/monitor/nagios.js';
import type { ClusterFixture } from '../helpers/record-cluster-fixtures.js';
import { fixtureSnapshots, readClusterFixture } from '../helpers/cluster-fixtures.js';

/**
 * check_redis's cluster findings on replies recorded from a real 3x1 cluster, as the plugin sees
 * them: nodes named by address, shards read from the checked node's CLUSTER NODES.
 */
function look(state: string, from: string, edit?: (f: ClusterFixture) => void) {
  const f = readClusterFixture(state);
  edit?.(f);
  const snaps = fixtureSnapshots(f, (n) => `${n.host}:${n.port}`);
  const seed = f.nodes.find((n) => n.name === from);
  const me =
    snaps.find((s) => s.name === `${seed?.host}:${seed?.port}`) ?? assert.fail(`no ${from}`);
  const replies = seed?.replies ?? assert.fail(`${from} did not answer`);
  const layout = shardsFrom(parseClusterNodes(replies.clusterNodes));
  const view = analyzeCluster(layout, snaps, { strictOffsets: false });
  const info = me.info ?? assert.fail('no CLUSTER INFO');
  return {
    node: nodeClusterFindings(view, snaps, me.name, info),
    whole: wholeClusterFindings(view, snaps, info),
    layout,
  };
}

const problems = (fs: readonly Finding[]): string[] =>
  fs.filter((x) => x.state !== 0).map((x) => x.text);
const perf = (r: { perf: { label: string; value: number }[] }, label: string) =>
  r.perf.find((p) => p.label === label)?.value;

test('check_redis cluster: a healthy cluster is OK on every node and as a whole', () => {
  for (const from of ['shard1-1', 'shard2-2', 'shard3-1']) {
    const { node, whole, layout } = look('healthy', from);
    assert.deepEqual(
      layout.map((s) => `${s.name} ${s.replicas.length}`),
      ['slots 0-5460 1', 'slots 5461-10922 1', 'slots 10923-16383 1'],
    );
    assert.deepEqual(problems(node.findings), [], from);
    assert.deepEqual(problems(whole.findings), [], from);
    assert.equal(perf(node, 'cluster_slots_ok'), 16384);
    assert.equal(perf(node, 'shard_replicas_synced'), 1);
    assert.equal(perf(node, 'slot_map_agreeing'), 6);
    assert.equal(perf(whole, 'shards_ok'), 3);
  }
  const out = formatOutput('REDIS', look('healthy', 'shard1-1').whole.findings, [], 'ok', false);
  assert.equal(out.state, 0);
});

test('check_redis cluster: a dead primary is pfail, then fail (CRITICAL); after the failover the shard has no copy (WARNING)', () => {
  const pfail = look('primary-pfail', 'shard3-2');
  assert.ok(pfail.whole.findings.some((f) => f.state === 1 && /5461 slots pfail/.test(f.text)));
  const fail = look('primary-fail', 'shard2-1').whole;
  assert.equal(worst(fail.findings.map((f) => f.state)), 2);
  assert.ok(problems(fail.findings).some((t) => /slots fail/.test(t)));

  const after = look('after-failover', 'shard1-2');
  assert.equal(worst(after.node.findings.map((f) => f.state)), 1);
  assert.match(problems(after.node.findings).join('; '), /shard slots 0-5460 .*no synced replica/);
  const whole = problems(after.whole.findings);
  assert.ok(whole.some((t) => /^shard slots 0-5460 .*no synced replica/.test(t)));
  assert.ok(whole.some((t) => /unreachable/.test(t)));
  assert.equal(worst(after.whole.findings.map((f) => f.state)), 1);
  // The shard keeps its name (its slots) across the failover.
  assert.equal(after.layout[0]?.name, look('healthy', 'shard1-1').layout[0]?.name);
});

test('check_redis cluster: a replica whose primary lists it wait_bgsave is not synced (the one rule)', () => {
  const { node } = look('replica-syncing', 'shard1-2');
  assert.match(problems(node.findings).join('; '), /shard slots 0-5460 .*no synced replica/);
  assert.equal(perf(node, 'shard_replicas_synced'), 0);
});

test('check_redis cluster: a node whose slot map differs from the majority is CRITICAL', () => {
  // shard3-2 prints slot 0-5460's owner as shard2-1's id: a stale map.
  const stale = (f: ClusterFixture): void => {
    const n = f.nodes.find((x) => x.name === 'shard3-2')?.replies;
    if (!n) return;
    const lines = n.clusterNodes.split('\n');
    const own = lines.find((l) => / 0-5460$/.test(l)) ?? '';
    const other = lines.find((l) => / 5461-10922$/.test(l)) ?? '';
    n.clusterNodes = lines
      .map((l) => (l === own ? l.replace(/ 0-5460$/, '') : l === other ? `${l} 0-5460` : l))
      .join('\n');
  };
  const { node } = look('healthy', 'shard3-2', stale);
  assert.ok(node.findings.some((f) => f.state === 2 && /differs from the majority/.test(f.text)));
  const other = look('healthy', 'shard1-1', stale);
  assert.equal(worst(other.node.findings.map((f) => f.state)), 0);
  assert.ok(problems(other.whole.findings).some((t) => /127\.0\.0\.1:\d+ disagree/.test(t)));
});
