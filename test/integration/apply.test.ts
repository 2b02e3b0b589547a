import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { withCluster, type TestCluster } from '../helpers/cluster.js';

/** SETs through the endpoint until stopped; counts the writes that failed. */
function simpleWriter(c: TestCluster): { stop: () => Promise<{ ok: number; failed: number }> } {
  const r = c.client(c.ports.endpoint, 'app');
  const n = { ok: 0, failed: 0 };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await r.set(`ap:${i}`, String(i));
        n.ok++;
      } catch {
        n.failed++;
        await sleep(5);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return n;
    },
  };
}

test('apply: maxmemory and down-after changed live on every node and sentinel, then an empty plan', async () => {
  await withCluster('apply', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const none = await c.run(['apply', '--dry-run']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /nothing to do/);

    const text = readFileSync(c.file, 'utf8');
    assert.match(text, /downAfter: 1500ms/);
    writeFileSync(
      c.file,
      `${text.replace('downAfter: 1500ms', 'downAfter: 2500ms')}memory: { maxmemory: 256mb }\n`,
    );
    const plan = await c.run(['apply', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /~ redis maxmemory: "\d+" -> "268435456"/);
    assert.match(plan.stdout, /~ sentinel down-after-milliseconds: 1500 -> 2500/);

    const unasked = await c.run(['apply']);
    assert.notEqual(unasked.code, 0);
    assert.match(unasked.stderr, /--yes/);

    const w = simpleWriter(c);
    await sleep(300);
    const r = await c.run(['apply', '--yes']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /applied: 2 step\(s\)/);
    await sleep(300);
    const n = await w.stop();
    assert.ok(n.ok > 100, `the writer made progress (${n.ok})`);
    assert.equal(n.failed, 0, 'no write failed');

    for (const [name, port] of [
      ['redis01', c.ports.redis01],
      ['redis02', c.ports.redis02],
    ] as const) {
      assert.deepEqual(await c.client(port).config('GET', 'maxmemory'), ['maxmemory', '268435456']);
      const conf = readFileSync(path.join(c.dir, '.redis-ha/nodes', name, 'redis.conf'), 'utf8');
      assert.match(conf, /^maxmemory 256mb$/m, `${name}: CONFIG REWRITE kept it`);
    }
    const { sentinelPassword } = JSON.parse(
      readFileSync(path.join(c.dir, '.redis-ha/secrets.json'), 'utf8'),
    ) as { sentinelPassword: string };
    for (const port of c.ports.sentinels) {
      const s = new Redis({ port, password: sentinelPassword, lazyConnect: true });
      try {
        const m = (await s.call('SENTINEL', 'MASTER', 'mymaster')) as string[];
        assert.equal(m[m.indexOf('down-after-milliseconds') + 1], '2500', `sentinel ${port}`);
      } finally {
        s.disconnect();
      }
    }
    const again = await c.run(['apply', '--dry-run']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to do/, 'idempotent: the second plan is empty');
    assert.match((await c.run(['logs', '-n', '20'])).stdout, /apply: SENTINEL SET/);
  });
});

test('apply with nothing running: a clear error', async () => {
  await withCluster('apply-none', {}, async (c) => {
    const r = await c.run(['apply', '--dry-run']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nothing (has been started|runs)/);
    assert.match(r.stderr, /redis-ha up/);
  });
});
