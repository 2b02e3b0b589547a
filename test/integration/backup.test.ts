import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countGood, withCluster, writeKeys, type TestCluster } from '../helpers/cluster.js';

/** `restore`, `up`, then `restore --verify`: each must succeed. */
async function restoreUpVerify(c: TestCluster, to: string): Promise<void> {
  const r = await c.run(['restore', to]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await c.run(['up', '--detach'])).code, 0);
  const v = await c.run(['restore', to, '--verify']);
  assert.equal(v.code, 0, v.stdout + v.stderr);
}

test('backup -> down -> wipe -> restore -> up: the same keys and values (digest + values)', async () => {
  await withCluster('backup', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const p = c.client(c.ports.redis01);
    await writeKeys(p, 3000);
    await p.hset('h', { a: '1', b: '2' });
    await p.select(2);
    await p.rpush('list', 'x', 'y', 'z');
    await p.select(0);
    await p.wait(2, 5000);
    const to = path.join(c.dir, 'bk');
    const b = await c.run(['backup', '--to', to, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const m = JSON.parse(readFileSync(path.join(to, 'manifest.json'), 'utf8')) as {
      replica: string;
      primary: string;
      sha256: string;
      content: Record<string, { keys: number; digest: string }>;
    };
    assert.notEqual(m.replica, m.primary, 'taken from a replica');
    assert.equal(m.content['db0']?.keys, 3001);
    assert.equal(m.content['db2']?.keys, 1);
    assert.match(m.sha256, /^[0-9a-f]{64}$/);

    const refused = await c.run(['restore', to]);
    assert.equal(refused.code, 5, 'no restore into a running topology');
    assert.match(refused.stderr, /^hint: .*redis-ha down/m);

    c.closeClients();
    assert.equal((await c.run(['down'])).code, 0);
    for (const n of ['redis01', 'redis02', 'redis03']) {
      const d = path.join(c.dir, '.redis-ha/nodes', n);
      rmSync(path.join(d, 'dump.rdb'), { force: true });
      rmSync(path.join(d, 'appendonlydir'), { recursive: true, force: true });
    }
    await restoreUpVerify(c, to);
    const q = c.client(c.ports.redis01);
    assert.equal(await countGood(q, 3000), 3000, 'values as written');
    assert.deepEqual(await q.hgetall('h'), { a: '1', b: '2' });

    // A changed value is caught although the key count is the same.
    await q.set('k7', 'changed');
    const bad = await c.run(['restore', to, '--verify']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /db0: backup 3001 keys, now 3001/);

    // A damaged RDB is refused before anything is touched.
    c.closeClients();
    assert.equal((await c.run(['down'])).code, 0);
    writeFileSync(path.join(to, 'dump.rdb'), 'garbage');
    const dmg = await c.run(['restore', to]);
    assert.notEqual(dmg.code, 0);
    assert.match(dmg.stderr, /sha256/);
    assert.ok(existsSync(path.join(c.dir, '.redis-ha/nodes/redis01/dump.rdb')));
  });
});

test('restore with AOF on: the RDB becomes the AOF base (Redis ignores dump.rdb then)', async () => {
  await withCluster('backup-aof', { persistence: '{ mode: aof }' }, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const p = c.client(c.ports.redis01);
    await writeKeys(p, 500);
    await p.rpush('list', 'x', 'y', 'z');
    await p.wait(2, 5000);
    const to = path.join(c.dir, 'bk');
    // Twice in a row: the second save falls in the first one's second (rdb_last_save_time).
    for (let i = 0; i < 2; i++) assert.equal((await c.run(['backup', '--to', to])).code, 0);
    c.closeClients();
    assert.equal((await c.run(['down'])).code, 0);
    await restoreUpVerify(c, to);
    const q = c.client(c.ports.redis01);
    assert.equal(await countGood(q, 500), 500);
    assert.deepEqual(await q.lrange('list', 0, -1), ['x', 'y', 'z']);
  });
});
