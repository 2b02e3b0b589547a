import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/state/ports.js';
import { withCluster, type TestCluster } from '../helpers/cluster.js';

const MEMBERS = ['redis01', 'redis02', 's1', 's2', 's3'];

/** Writes numbered keys through the endpoint until stopped (as in switchover.test.ts). */
function writer(c: TestCluster, endpoint: number): { stop: () => Promise<number[]> } {
  const r = c.client(endpoint, 'app');
  const acked: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && r.status !== 'end'; i++) {
      try {
        if ((await r.set(`rr:${i}`, String(i))) === 'OK') acked.push(i);
      } catch {
        await sleep(2);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return acked;
    },
  };
}

async function lost(c: TestCluster, endpoint: number, acked: number[]): Promise<number> {
  const r = c.client(endpoint, 'app');
  let missing = 0;
  for (let k = 0; k < acked.length; k += 500) {
    const ids = acked.slice(k, k + 500);
    const vals = await r.mget(ids.map((i) => `rr:${i}`));
    ids.forEach((i, j) => vals[j] !== String(i) && missing++);
  }
  return missing;
}

const pids = (c: TestCluster): Record<string, number> =>
  Object.fromEntries(MEMBERS.map((m) => [m, c.pidOf(m)]));

test('restart --rolling onto copied binaries under a writer: no acknowledged write lost, new PIDs; an older binary is refused', async () => {
  const ep = await freePort();
  await withCluster(
    'rolling',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const bin = path.join(c.dir, 'bin');
      mkdirSync(bin);
      copyFileSync('/usr/bin/redis-server', path.join(bin, 'redis-server'));
      copyFileSync('/usr/bin/redis-server', path.join(bin, 'redis-sentinel'));
      appendFileSync(
        c.file,
        '\nredis: { server: bin/redis-server, sentinel: bin/redis-sentinel }\n',
      );
      const before = pids(c);
      const w = writer(c, ep);
      await sleep(300);
      const r = await c.run(['restart', '--rolling']);
      await sleep(300);
      const acked = await w.stop();
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /rolling restart done: 5 member\(s\) restarted/);
      assert.ok(acked.length > 100, `the writer made progress (${acked.length})`);
      assert.equal(await lost(c, ep, acked), 0, 'no acknowledged write lost');
      const after = pids(c);
      for (const m of MEMBERS) {
        assert.notEqual(after[m], before[m], `${m} has a new PID`);
        const exe = m.startsWith('s') ? 'redis-sentinel' : 'redis-server';
        assert.equal(
          readlinkSync(`/proc/${after[m]}/exe`),
          path.join(bin, exe),
          `${m} runs the copy`,
        );
      }
      assert.equal((await c.status()).healthy, true);

      // A wrapper that reports an older version (and runs the real binary otherwise).
      const old = path.join(bin, 'old');
      mkdirSync(old);
      writeFileSync(
        path.join(old, 'redis-server'),
        '#!/bin/sh\n[ "$1" = --version ] && { echo "Redis server v=7.0.1 sha=00000000:0"; exit 0; }\nexec /usr/bin/redis-server "$@"\n',
      );
      chmodSync(path.join(old, 'redis-server'), 0o755);
      const text = readFileSync(c.file, 'utf8');
      writeFileSync(
        c.file,
        text.replace('server: bin/redis-server', 'server: bin/old/redis-server'),
      );
      const d = await c.run(['restart', '--rolling']);
      assert.equal(d.code, 4, d.stderr + d.stdout);
      assert.match(d.stderr, /older than the primary redis0\d \(7\.0\.15\)/);
      assert.match(d.stderr, /hint: a downgrade of the primary below its replicas is refused/);
      // Anything else changed in the file is apply's: refused before anything changes.
      writeFileSync(c.file, `${text}\nmemory: { maxmemory: 256mb }\n`);
      const m = await c.run(['restart', '--rolling']);
      assert.equal(m.code, 2, m.stderr + m.stdout);
      assert.match(m.stderr, /changes more than the Redis binaries:\n {2}~ redis maxmemory/);
      assert.deepEqual(pids(c), after, 'nothing restarted');
    },
  );
});
