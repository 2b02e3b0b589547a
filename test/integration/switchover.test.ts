import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { withView } from '../../src/view/with-view.js';
import { startedTopology } from '../../src/cli/context.js';
import { runSwitchover } from '../../src/ops/switchover.js';
import { freePort } from '../../src/state/ports.js';
import { ackWriter, lostAcks } from '../helpers/ack-writer.js';
import { withCluster } from '../helpers/cluster.js';

test('switchover under a live writer: no acknowledged write lost, and back again with --to', async () => {
  const ep = await freePort();
  await withCluster(
    'switchover',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      for (const [to, expect] of [
        [undefined, 'redis02'],
        ['redis01', 'redis01'],
      ] as const) {
        const w = ackWriter(c, ep, 'sw');
        await sleep(300);
        const r = await c.run(to ? ['switchover', '--to', to] : ['switchover']);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        assert.match(
          r.stdout,
          new RegExp(`switchover done: \\w+ -> ${expect} in .*; writes paused \\d+ms`),
        );
        assert.match(r.stdout, /writes paused on/);
        await sleep(500);
        const acked = await w.stop();
        assert.ok(acked.length > 100, `the writer made progress (${acked.length})`);
        assert.equal(await lostAcks(c, ep, 'sw', acked), 0, 'no acknowledged write lost');
        const s = await c.status();
        assert.equal(s.primary, expect);
      }
    },
  );
});

test('switchover refuses a target that is not a replica, leaving writes unpaused', async () => {
  await withCluster('switchover-bad', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const r = await c.run(['switchover', '--to', 'redis01']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: "redis01" is not a replica of redis01\nhint: replicas: redis02/,
    );
    const p = c.client(c.ports.redis01);
    assert.equal(await p.set('still', 'writable'), 'OK');
    // A drill whose switchover is refused ends with that error; its writer does not keep the
    // process alive (the CLI helper's bound would kill it instead).
    const file = readFileSync(c.file, 'utf8').replace(
      /(redis02: \{ role: replica)/,
      '$1, priority: 0',
    );
    writeFileSync(c.file, file);
    const d = await c.run(['drill', '--fault', 'switchover', '--runs', '1']);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.match(d.stderr, /^error: no replica can be promoted/);
  });
});

test('switchover holds when the view drops its connections under it (a loaded machine)', async () => {
  await withCluster('switchover-reset', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    await withView(await startedTopology({ file: c.file }), async (view) => {
      // What the view does when a look at a node times out: drop and reopen its connection.
      // From the switchover's first step on (its health look needs the view's connections).
      let timer: NodeJS.Timeout | undefined;
      const stress = (line: string): void => {
        if (line.startsWith('waiting')) return;
        timer ??= setInterval(() => {
          for (const n of view.topology.nodes) view.links.reset(n.name);
        }, 2);
      };
      try {
        const r = await runSwitchover(view, stress);
        assert.equal(r.to, 'redis02');
      } finally {
        clearInterval(timer);
      }
    });
    assert.equal((await c.status()).primary, 'redis02');
  });
});
