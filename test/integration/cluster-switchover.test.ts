import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../src/util/wait.js';
import { shardWriter, tagsPerShard, withClusterHarness } from '../helpers/cluster-harness.js';

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
    const w = shardWriter(h, tags);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const sw = await h.run(['switchover', '--shard', 'shard1']);
    await new Promise((r) => setTimeout(r, 1000));
    const { acked, failed } = await w.stop();
    const gap = w.gaps(t0, Date.now());
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
