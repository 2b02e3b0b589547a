import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from '../../src/util/wait.js';
import { withClusterHarness, type Harness } from '../helpers/cluster-harness.js';

/** One hash tag per shard (slots of shard1, shard2, shard3), asked of the cluster itself. */
async function tagsPerShard(h: Harness): Promise<string[]> {
  const r = new Redis({ port: h.ports[0]?.[0] ?? 0, ...h.user('admin') });
  try {
    const { json } = await h.status();
    const tags: string[] = json.shards.map(() => '');
    for (let i = 0; tags.includes(''); i++) {
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', `{t${i}}`));
      const s = json.shards.findIndex((x) =>
        x.slots.some((range) => slot >= range.start && slot <= range.end),
      );
      if (s >= 0 && tags[s] === '') tags[s] = `{t${i}}`;
    }
    return tags;
  } finally {
    r.disconnect();
  }
}

/** Sequential SETs on each shard, one Cluster client with its default options. */
function writer(h: Harness, tags: string[]) {
  const c = new Cluster([{ host: '127.0.0.1', port: h.ports[0]?.[0] ?? 0 }], {
    redisOptions: h.user('app'),
  });
  c.on('error', () => undefined);
  const acked: string[] = [];
  const last = tags.map(() => Date.now());
  const gap = tags.map(() => 0);
  let failed = 0;
  let running = true;
  // One loop per shard: a write held on one shard does not hold the others.
  const loops = tags.map(async (tag, s) => {
    for (let i = 0; running; i++) {
      const key = `${tag}:${i}`;
      try {
        await c.set(key, String(i));
        acked.push(key);
        const now = Date.now();
        gap[s] = Math.max(gap[s] ?? 0, now - (last[s] ?? now));
        last[s] = now;
      } catch {
        failed++;
      }
    }
  });
  return {
    c,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { acked, gap, failed };
    },
  };
}

test('cluster: switchover --shard under a Cluster writer: the shard moves to its synced replica, 0 acknowledged writes lost; wrong shard or target refused', async (t) => {
  await withClusterHarness('cluster switchover', async (h) => {
    assert.equal((await h.run(['up', '--detach'])).code, 0);
    const noShard = await h.run(['switchover']);
    assert.notEqual(noShard.code, 0);
    assert.match(noShard.stderr, /which shard\? \(--shard S\)/);
    const typo = await h.run(['switchover', '--shard', 'shard4']);
    assert.match(typo.stderr, /no shard "shard4"/);
    const wrong = await h.run(['switchover', '--shard', 'shard2', '--to', 'shard1-2']);
    assert.match(wrong.stderr, /shard1-2 is not a replica of shard2-1 in shard2/);

    const tags = await tagsPerShard(h);
    const w = writer(h, tags);
    await new Promise((r) => setTimeout(r, 1000));
    const sw = await h.run(['switchover', '--shard', 'shard1']);
    await new Promise((r) => setTimeout(r, 1000));
    const { acked, gap, failed } = await w.stop();
    assert.equal(sw.code, 0, sw.stderr);
    assert.match(sw.stdout, /switchover of shard1: shard1-1 -> shard1-2 in \d+ ms/);
    const healthy = await waitFor(
      async () => {
        const s = await h.status();
        return s.code === 0 ? s.json : undefined;
      },
      { timeoutMs: 20_000, what: 'healthy again, shard1-1 a synced replica of shard1-2' },
    );
    assert.equal(healthy.shards[0]?.primary, 'shard1-2');
    const values = await Promise.all(acked.map((k) => w.c.get(k)));
    w.c.disconnect();
    const lost = acked.filter((k, i) => values[i] !== k.split(':')[1]);
    assert.deepEqual(lost, [], 'every acknowledged write is there');
    t.diagnostic(
      `acked ${acked.length}, failed ${failed}, longest gap per shard ${gap.join('/')} ms`,
    );
  });
});
