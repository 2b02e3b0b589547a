import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/state/ports.js';
import { ackWriter, lostAcks } from '../helpers/ack-writer.js';
import { applyKilledAt } from '../helpers/apply-kill.js';
import { waitStatus, withCluster } from '../helpers/cluster.js';

test('apply: an ACL rule read at start rolls the nodes under a writer; killed mid-roll, run again, it finishes (nothing restarted twice, 0 lost)', async () => {
  const ep = await freePort();
  await withCluster(
    'apply-roll',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const app = c.client(c.ports.redis01, 'app');
      await assert.rejects(app.keys('x*'), /NOPERM/, 'KEYS is refused to the app user at first');
      writeFileSync(c.file, `${readFileSync(c.file, 'utf8')}\nauth: { appCommands: ["+keys"] }\n`);
      const plan = await c.run(['apply', '--dry-run']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(
        plan.stdout,
        /^! rolling restart of the nodes .*auth\.appCommands: {2}-> \+keys/m,
      );

      const sentinels = ['s1', 's2', 's3'].map((s) => c.pidOf(s));
      const w = ackWriter(c, ep, 'ro');
      await sleep(300);
      const out = await applyKilledAt(c, /redis02 back \(pid \d+ -> \d+\)/);
      assert.match(out, /restart replica redis02/);
      const redis02 = c.pidOf('redis02');
      const redis01 = c.pidOf('redis01');
      const cut = await c.run(['apply', '--dry-run']);
      assert.match(cut.stdout, /rolling restart .*unfinished: auth\.appCommands/, cut.stdout);

      const r = await c.run(['apply', '--yes']);
      await sleep(300);
      const acked = await w.stop();
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /rolling restart \(finishing one cut short\)/);
      assert.doesNotMatch(r.stdout, /restart replica redis02/, 'redis02 is not restarted twice');
      assert.equal(c.pidOf('redis02'), redis02);
      assert.notEqual(c.pidOf('redis01'), redis01, 'the old primary was restarted');
      assert.ok(acked.length > 100, `the writer made progress (${acked.length})`);
      assert.equal(await lostAcks(c, ep, 'ro', acked), 0, 'no acknowledged write lost');
      for (const port of [c.ports.redis01, c.ports.redis02])
        assert.ok(
          Array.isArray(await c.client(port, 'app').keys('ro:1')),
          `KEYS allowed on ${port}`,
        );
      assert.deepEqual(
        ['s1', 's2', 's3'].map((s) => c.pidOf(s)),
        sentinels,
        'sentinels not restarted',
      );
      assert.equal(existsSync(path.join(c.dir, '.redis-ha', 'rolling.json')), false);
      assert.match((await c.run(['apply', '--dry-run'])).stdout, /nothing to do/);
      await waitStatus(c, (s) => s.healthy && s.primary === 'redis02', 15_000, 'healthy');
    },
  );
});
