import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from '../../src/util/wait.js';
import { processesUnder } from '../helpers/cluster.js';
import { withClusterHarness, type Harness } from '../helpers/cluster-harness.js';

const KEYS = 600;

async function scenario(h: Harness): Promise<void> {
  const up = await h.run(['up', '--detach']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /healthy: cluster created, 3 shards, every replica synced/);
  assert.match(up.stdout, /^cluster healthy: 3 shards, 6 nodes, each shard supervised/m);
  assert.equal(statSync(path.join(h.dir, '.redis-ha/nodes/shard1-1/nodes.conf')).isFile(), true);

  const { code, json } = await h.status();
  assert.equal(code, 0, JSON.stringify(json.problems));
  assert.equal(json.kind, 'cluster');
  assert.equal(json.healthy, true);
  assert.equal(json.processes.length, 6);
  assert.deepEqual(
    json.shards.map((s) => `${s.name} ${s.primary} ${s.slotCount} ${s.state}`),
    ['shard1 shard1-1 5461 ok', 'shard2 shard2-1 5462 ok', 'shard3 shard3-1 5461 ok'],
  );
  for (const s of json.shards) {
    const replica = s.members.find((m) => m.role === 'replica');
    assert.equal(replica?.following, s.primary);
    assert.equal(replica?.synced, true);
    assert.deepEqual(replica?.flags, []);
  }

  // A cluster client writes to every shard, as the app user.
  const seed = { host: '127.0.0.1', port: h.ports[0]?.[0] ?? 0 };
  const writer = new Cluster([seed], {
    redisOptions: { ...h.user('app'), enableReadyCheck: false },
    clusterRetryStrategy: () => null,
  });
  writer.on('error', () => undefined);
  try {
    for (let i = 0; i < KEYS; i++) await writer.set(`key:${i}`, `v${i}`);
    const read = await Promise.all(Array.from({ length: KEYS }, (_, i) => writer.get(`key:${i}`)));
    assert.equal(read.filter((v, i) => v === `v${i}`).length, KEYS);
  } finally {
    writer.disconnect();
  }
  const admin = h.user('admin');
  const clients = h.ports
    .flat()
    .map((port) => new Redis({ port, ...admin, maxRetriesPerRequest: 0 }));
  try {
    const sizes = await waitFor(
      async () => {
        const n = await Promise.all(clients.map((c) => c.dbsize()));
        const paired = [0, 2, 4].every((i) => n[i] === n[i + 1] && (n[i] ?? 0) > 0);
        return paired ? n : undefined;
      },
      { timeoutMs: 20_000, what: "every replica to hold its primary's keys" },
    );
    assert.equal(
      (sizes[0] ?? 0) + (sizes[2] ?? 0) + (sizes[4] ?? 0),
      KEYS,
      'each key on one shard',
    );
  } finally {
    for (const c of clients) c.disconnect();
  }

  // Again while it runs: refused. After down: no process; up again verifies, reassigns nothing.
  const again = await h.run(['up', '--detach']);
  assert.equal(again.code, 5);
  assert.match(again.stderr, /^error: this topology is already running/m);
  const ids = json.shards.map((s) => s.primaryId);
  const down = await h.run(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(processesUnder(h.dir), [], 'down leaves no process');
  const reup = await h.run(['up', '--detach']);
  assert.equal(reup.code, 0, reup.stderr);
  assert.match(reup.stdout, /healthy: cluster verified/);
  assert.doesNotMatch(
    reup.stdout,
    /slots .* ->|replicates/,
    'no slot assigned, no replica attached',
  );
  const after = await h.status();
  assert.deepEqual(
    after.json.shards.map((s) => s.primaryId),
    ids,
    'same node ids own the same slots',
  );
  assert.ok(after.json.shards.every((s) => s.members.every((m) => m.offset > 0)));

  // A replica killed: the shard's controller restarts it; it rejoins, resyncs, the shard is ok.
  const victim = after.json.processes.find((p) => p.name === 'shard2-2');
  process.kill(victim?.pid ?? 0, 'SIGKILL');
  const healed = await waitFor(
    async () => {
      const s = await h.status();
      const pid = s.json.processes.find((p) => p.name === 'shard2-2')?.pid;
      return s.code === 0 && pid !== undefined && pid !== victim?.pid ? s : undefined;
    },
    { timeoutMs: 20_000, what: 'shard2-2 restarted and synced' },
  );
  assert.equal(healed.json.shards[1]?.state, 'ok');
  assert.equal(healed.json.shards[1]?.members[1]?.synced, true);
}

test('cluster: up forms 3x1 without redis-cli, a Cluster client writes every shard, status per shard, down/up verifies, down leaves nothing', async () => {
  await withClusterHarness('cluster test', scenario);
});
