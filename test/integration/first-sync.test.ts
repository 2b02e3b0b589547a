import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { countGood, waitStatus, withCluster, writeKeys } from '../helpers/cluster.js';

const N = 10_000;

/**
 * The trap from the field notes: the primary dies while a replica is in its first sync. Sentinel
 * would promote the empty replica. redis-ha keeps a replica at replica-priority 0 until it has
 * synced, and with no synced replica restarts the old primary from its own AOF at once.
 */
test('kill of the primary during the replica first sync: no empty promotion, data kept', async () => {
  await withCluster(
    'first-sync',
    {
      persistence: '{ mode: aof, appendfsync: always }',
      extra: 'replication: { disklessSyncDelay: 3s }',
    },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      const p = c.client(c.ports.redis01);
      await writeKeys(p, N);
      p.disconnect();

      // The replica dies and is restarted by the supervisor: a fresh first sync (3 s diskless delay).
      process.kill(c.pidOf('redis02'), 'SIGKILL');
      const replica = new Redis({
        host: '127.0.0.1',
        port: c.ports.redis02,
        ...c.auth('admin'),
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
      });
      replica.on('error', () => undefined);
      const deadline = Date.now() + 10_000;
      let syncing = false;
      while (!syncing && Date.now() < deadline) {
        await sleep(50);
        try {
          if (replica.status === 'wait') await replica.connect();
          const info = await replica.info('replication');
          // During the diskless delay the replica waits for +FULLRESYNC: link down, not yet "in progress".
          syncing = info.includes('role:slave') && info.includes('master_link_status:down');
          if (syncing)
            assert.match(
              await replica.config('GET', 'replica-priority').then((v) => String(v)),
              /replica-priority,0/,
            );
        } catch {
          /* restarting */
        }
      }
      replica.disconnect();
      assert.ok(syncing, 'redis02 was caught in its first sync');

      process.kill(c.pidOf('redis01'), 'SIGKILL');
      const s = await waitStatus(
        c,
        (x) => x.healthy && x.nodes.every((n) => n.link !== 'syncing'),
        30_000,
        'recovery',
      );
      assert.equal(s.primary, 'redis01', 'the empty replica was not promoted');
      assert.deepEqual(s.failovers, []);
      for (const port of [c.ports.redis01, c.ports.redis02]) {
        const r = c.client(port);
        assert.equal(await countGood(r, N), N, `all keys on ${port}`);
        r.disconnect();
      }
      const events = readFileSync(path.join(c.dir, '.redis-ha/events.jsonl'), 'utf8');
      assert.match(
        events,
        /no replica holds a complete copy; restarting as primary from its own AOF files/,
      );
      assert.doesNotMatch(events, /\+switch-master/);
    },
  );
});
