/**
 * Planned failover of one shard (`npm run bench:cluster-switchover`): 3 shards x 2 nodes on
 * loopback under `up`, one ioredis `Cluster` client (default options) writing sequentially to
 * every shard. Interleaved BENCH_RUNS (default 5) pairs, the same shard moved back and forth:
 *  - ours, `redis-ha switchover --shard shard1` (a CLI process);
 *  - the anchor, `CLUSTER FAILOVER` sent to the shard's replica by hand (what
 *    `redis-cli -p PORT cluster failover` does), waited for until the replica says master.
 * Per run: the moved shard's longest write gap, the other shards' longest, and at the end every
 * acknowledged write read back. Writes bench/results/cluster-switchover-DATE.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { waitFor } from '../src/util/wait.js';
import {
  shardWriter,
  tagsPerShard,
  withClusterHarness,
  type Harness,
} from '../test/helpers/cluster-harness.js';
import { stats } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WINDOW_MS = 3000;

interface Sample {
  how: 'ours' | 'CLUSTER FAILOVER';
  to: string;
  shardGapMs: number;
  othersGapMs: number;
}

async function replicaOf(h: Harness, shard: string): Promise<{ name: string; port: number }> {
  const { json } = await h.status();
  const s = json.shards.find((x) => x.name === shard);
  const r = s?.members.find((m) => m.role === 'replica' && m.synced);
  if (!r) throw new Error(`${shard}: no synced replica`);
  return { name: r.name, port: Number(r.address.split(':').at(-1)) };
}

async function healthy(h: Harness): Promise<void> {
  await waitFor(async () => ((await h.status()).code === 0 ? true : undefined), {
    timeoutMs: 30_000,
    what: 'healthy again',
  });
}

async function byHand(h: Harness, port: number): Promise<void> {
  const r = new Redis({ port, ...h.user('admin') });
  try {
    await r.call('CLUSTER', 'FAILOVER');
    await waitFor(async () => ((await r.call('ROLE')) as unknown[])[0] === 'master' || undefined, {
      timeoutMs: 10_000,
      intervalMs: 5,
      what: 'the replica to say master',
    });
  } finally {
    r.disconnect();
  }
}

async function main(): Promise<void> {
  const samples: Sample[] = [];
  let lost = 0;
  let acked = 0;
  let failed = 0;
  await withClusterHarness('bench', async (h) => {
    const up = await h.run(['up', '--detach']);
    if (up.code !== 0) throw new Error(up.stderr);
    const w = shardWriter(h, await tagsPerShard(h));
    await sleep(1000);
    for (let i = 0; i < 2 * RUNS; i++) {
      const how = i % 2 === 0 ? 'ours' : 'CLUSTER FAILOVER';
      const to = await replicaOf(h, 'shard1');
      const t0 = Date.now();
      if (how === 'ours') {
        const r = await h.run(['switchover', '--shard', 'shard1', '--to', to.name]);
        if (r.code !== 0) throw new Error(r.stderr);
      } else await byHand(h, to.port);
      await sleep(Math.max(0, t0 + WINDOW_MS - Date.now()));
      const [shard = NaN, ...others] = w.gaps(t0, t0 + WINDOW_MS);
      const s = { how, to: to.name, shardGapMs: shard, othersGapMs: Math.max(...others) } as const;
      samples.push(s);
      console.log(
        `#${i + 1} ${how} -> ${to.name}: shard gap ${shard} ms, others ${s.othersGapMs} ms`,
      );
      await healthy(h);
    }
    const r = await w.stop();
    const values = await Promise.all(r.acked.map((k) => w.c.get(k)));
    w.c.disconnect();
    lost = r.acked.filter((k, i) => values[i] !== k.split(':')[1]).length;
    acked = r.acked.length;
    failed = r.failed;
  });
  const of = (how: Sample['how'], k: 'shardGapMs' | 'othersGapMs') =>
    stats(samples.filter((s) => s.how === how).map((s) => s[k]));
  const summary = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
    runs: RUNS,
    ours: { shard: of('ours', 'shardGapMs'), others: of('ours', 'othersGapMs') },
    anchor: {
      shard: of('CLUSTER FAILOVER', 'shardGapMs'),
      others: of('CLUSTER FAILOVER', 'othersGapMs'),
    },
    acked,
    failed,
    lost,
    samples,
  };
  console.log(JSON.stringify({ ...summary, samples: undefined }, null, 1));
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `cluster-switchover-${summary.date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`written ${file}`);
}

await main();
