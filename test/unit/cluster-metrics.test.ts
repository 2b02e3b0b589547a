import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analyzeCluster } from '../../src/cluster/analyze.js';
import { buildClusterMetrics } from '../../src/metrics/cluster-metrics.js';
import { fixtureSnapshots, readClusterFixture } from '../helpers/cluster-fixtures.js';

/** /metrics of the cluster view on replies recorded from a real 3x1 cluster. */
function scrape(state: string): string {
  const f = readClusterFixture(state);
  const snaps = fixtureSnapshots(f);
  return buildClusterMetrics(analyzeCluster(f.shards, snaps, { strictOffsets: false })).render();
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
/** Every series name with its labels, values left out (a lag exists on replicas only). */
const series = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('redis_ha_replica_lag_bytes'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')));

test('cluster /metrics: shard labels, per-shard synced replica, slots by state; valid exposition', () => {
  const text = scrape('healthy');
  assert.equal(value(text, 'redis_ha_cluster_healthy'), 1);
  for (const s of ['shard1', 'shard2', 'shard3'])
    assert.equal(value(text, `redis_ha_cluster_shard_has_synced_replica{shard="${s}"}`), 1);
  assert.equal(value(text, 'redis_ha_node_is_primary{node="shard1-1",shard="shard1"}'), 1);
  assert.equal(value(text, 'redis_ha_node_is_primary{node="shard1-2",shard="shard1"}'), 0);
  assert.equal(
    value(text, 'redis_ha_cluster_slots{node="shard2-2",shard="shard2",state="ok"}'),
    16384,
  );
  assert.equal(value(text, 'redis_ha_cluster_state{node="shard3-1",shard="shard3"}'), 1);
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('cluster /metrics: after a failover the same series, the primary moved inside its shard', () => {
  const before = scrape('healthy');
  const dead = scrape('after-failover');
  assert.equal(value(dead, 'redis_up{node="shard1-1",shard="shard1"}'), 0);
  assert.equal(value(dead, 'redis_ha_cluster_shard_has_synced_replica{shard="shard1"}'), 0);
  assert.equal(value(dead, 'redis_ha_cluster_shard_state{shard="shard1",state="degraded"}'), 1);
  const after = scrape('rejoined');
  assert.equal(value(after, 'redis_ha_node_is_primary{node="shard1-2",shard="shard1"}'), 1);
  assert.equal(value(after, 'redis_ha_node_is_primary{node="shard1-1",shard="shard1"}'), 0);
  assert.equal(value(after, 'redis_ha_cluster_shard_has_synced_replica{shard="shard1"}'), 1);
  assert.deepEqual(series(after), series(before), 'no series renamed by the failover');
});
