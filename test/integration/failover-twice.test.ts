import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countGood, withCluster, writeKeys } from '../helpers/cluster.js';

test('`failover` twice in a row returns to the original primary, data intact', async () => {
  await withCluster('failover-twice', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const p = c.client(c.ports.redis01);
    await writeKeys(p, 2000);
    p.disconnect();

    const first = await c.run(['failover']);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /failover done: redis01 -> redis02/);
    const second = await c.run(['failover']);
    assert.equal(second.code, 0, second.stderr + second.stdout);
    assert.match(second.stdout, /failover done: redis02 -> redis01/);

    const s = await c.status();
    assert.equal(s.healthy, true, s.problems.join('; '));
    assert.equal(s.primary, 'redis01');
    assert.deepEqual(
      s.failovers.map((f) => `${f.from}->${f.to}`),
      ['redis01->redis02', 'redis02->redis01'],
    );
    for (const port of [c.ports.redis01, c.ports.redis02]) {
      const r = c.client(port);
      assert.equal(await countGood(r, 2000), 2000);
      r.disconnect();
    }
  });
});
