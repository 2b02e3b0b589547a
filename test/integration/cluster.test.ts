import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { ClusterView } from '../../src/cluster/analyze.js';
import { waitFor } from '../../src/util/wait.js';
import { cli, processesUnder, secretLeaks, type CliResult } from '../helpers/cluster.js';
import { writeClusterTopology } from '../helpers/cluster-topology.js';

type Status = ClusterView & { kind: string; processes: { name: string; pid: number }[] };
const KEYS = 600;

interface Harness {
  dir: string;
  ports: number[][];
  run: (args: string[]) => Promise<CliResult>;
  status: () => Promise<{ code: number; json: Status }>;
  user: (who: 'admin' | 'app') => { username: string; password: string };
}

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-cluster-'));
  const { file, ports } = await writeClusterTopology(dir);
  const run = (args: string[]): Promise<CliResult> => cli([...args, '-f', file], dir, 90_000);
  return {
    dir,
    ports,
    run,
    status: async () => {
      const r = await run(['status', '--json']);
      return { code: r.code, json: JSON.parse(r.stdout) as Status };
    },
    user: (who) => {
      const s = JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
        users: Record<string, string>;
      };
      return { username: who, password: s.users[who] ?? '' };
    },
  };
}

/** Node by node: status, then each server's log tail (on failure). */
async function dump(h: Harness): Promise<string> {
  const parts = [(await h.run(['status'])).stdout];
  for (const name of ['shard1-1', 'shard1-2', 'shard2-1', 'shard2-2', 'shard3-1', 'shard3-2'])
    parts.push(`--- ${name}\n${(await h.run(['logs', name, '-n', '20'])).stdout}`);
  return parts.join('\n');
}

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
  const h = await harness();
  let failure: unknown;
  try {
    await scenario(h);
  } catch (e) {
    failure = e;
    process.stderr.write(`\n=== cluster test failed:\n${await dump(h).catch(String)}\n`);
  } finally {
    const down = await h.run(['down']);
    const left = processesUnder(h.dir);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const leaked = secretLeaks(path.join(h.dir, '.redis-ha'));
    rmSync(h.dir, { recursive: true, force: true });
    failure ??= down.code !== 0 ? new Error(`down failed: ${down.stderr}`) : undefined;
    failure ??= left.length
      ? new Error(`processes left after down: ${left.join(', ')}`)
      : undefined;
    failure ??= leaked.length
      ? new Error(`a secret was written to ${leaked.join(', ')}`)
      : undefined;
  }
  if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
});
