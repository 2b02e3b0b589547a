import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HaEvent } from '../../src/events/events.js';
import { waitStatus, withCluster } from '../helpers/cluster.js';

test("a rejoining node's full sync does not wait behind the new primary's disk snapshot", async () => {
  await withCluster('snapshot-sync', {}, async (c) => {
    const up = await c.run(['up', '--detach']);
    assert.equal(up.code, 0, up.stderr);
    const primary = c.client(c.ports.redis01);
    const replica = c.client(c.ports.redis02);
    const values = Array.from({ length: 2000 }, (_, i) => [`k${i}`, `v${i}`]).flat();
    await primary.mset(...values);
    await waitStatus(c, (s) => s.healthy, 20_000, 'the first sync');
    // A disk snapshot on redis02 that would take ~100 s (50 ms a key); the fork keeps the
    // delay, the parent gets 0 back so the sync's own fork is not slowed.
    await replica.config('SET', 'rdb-key-save-delay', '50000');
    await replica.bgsave();
    await replica.config('SET', 'rdb-key-save-delay', '0');
    process.kill(c.pidOf('redis01'), 'SIGKILL');
    const t0 = Date.now();
    await waitStatus(c, (s) => s.healthy && s.primary === 'redis02', 30_000, 'the rejoin');
    const took = Date.now() - t0;
    assert.ok(took < 15_000, `the rejoin took ${took}ms`);
    const events = readFileSync(path.join(c.dir, '.redis-ha/events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as HaEvent);
    assert.ok(
      events.some((e) => e.member === 'redis02' && /stopped its disk snapshot/.test(e.message)),
      'the stopped snapshot is reported',
    );
    const persistence = await c.client(c.ports.redis02).info('persistence');
    assert.match(persistence, /rdb_last_bgsave_status:ok/, 'a stopped save is not a failed one');
    assert.equal(await c.client(c.ports.redis01).get('k1999'), 'v1999');
  });
});
