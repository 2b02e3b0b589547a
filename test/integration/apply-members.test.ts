import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../src/state/ports.js';
import { applyKilledAt } from '../helpers/apply-kill.js';
import { withCluster, waitStatus, type TestCluster } from '../helpers/cluster.js';

/** SETs through the endpoint until stopped; counts the writes that failed. */
function writer(c: TestCluster): { stop: () => Promise<{ ok: number; failed: number }> } {
  const r = c.client(c.ports.endpoint, 'app');
  const n = { ok: 0, failed: 0 };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await r.set(`am:${i}`, String(i));
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

function sentinel(c: TestCluster, port: number): Redis {
  const { sentinelPassword } = JSON.parse(
    readFileSync(path.join(c.dir, '.redis-ha/secrets.json'), 'utf8'),
  ) as { sentinelPassword: string };
  const s = new Redis({ port, password: sentinelPassword, lazyConnect: true });
  s.on('error', () => undefined);
  return s;
}

/** The ports a sentinel lists as replicas and as other sentinels. */
async function known(
  c: TestCluster,
  port: number,
): Promise<{ replicas: number[]; sentinels: number[] }> {
  const s = sentinel(c, port);
  try {
    const ports = (rows: unknown): number[] =>
      (rows as string[][]).map((r) => Number(r[r.indexOf('port') + 1])).sort();
    return {
      replicas: ports(await s.call('SENTINEL', 'REPLICAS', 'mymaster')),
      sentinels: ports(await s.call('SENTINEL', 'SENTINELS', 'mymaster')),
    };
  } finally {
    s.disconnect();
  }
}

/** Whether anything accepts TCP connections on the port. */
const answers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

test('apply: a replica and a sentinel added, then a replica and a sentinel removed, under a writer', async () => {
  await withCluster('apply-members', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const [p3, p4] = [await freePort(), await freePort()];
    const [s1, s2, s3] = c.ports.sentinels as [number, number, number];
    const seed = readFileSync(c.file, 'utf8');
    const added = seed
      .replace('sentinels:\n', `  redis03: { role: replica, port: ${p3} }\nsentinels:\n`)
      .replace(/(sentinels:\n(?: {2}s\d: .*\n)+)/, `$1  s4: { port: ${p4} }\n`);
    writeFileSync(c.file, added);
    const plan = await c.run(['apply', '--dry-run']);
    assert.match(plan.stdout, /\+ node redis03 .* priority 0 until synced/);
    assert.match(plan.stdout, /\+ sentinel s4/);

    const w = writer(c);
    await sleep(300);
    const add = await c.run(['apply', '--yes']);
    assert.equal(add.code, 0, add.stderr + add.stdout);
    const r3 = c.client(p3);
    assert.match(await r3.info('replication'), /role:slave[\s\S]*master_link_status:up/);
    for (const port of [s1, s2, s3]) {
      const k = await known(c, port);
      assert.ok(k.replicas.includes(p3), `sentinel ${port} knows redis03`);
      assert.ok(k.sentinels.includes(p4), `sentinel ${port} knows s4`);
    }

    // redis02 and s3 go: each sentinel forgets them, one at a time.
    const removed = added.replace(/ {2}redis02: .*\n/, '').replace(/ {2}s3: .*\n/, '');
    writeFileSync(c.file, removed);
    const rm = await c.run(['apply', '--yes', '--json']);
    assert.equal(rm.code, 0, rm.stderr + rm.stdout);
    const report = JSON.parse(rm.stdout) as {
      members: { member: string; samples?: number; withoutQuorum?: number }[];
    };
    const gone = report.members.filter((m) => m.samples !== undefined);
    assert.deepEqual(gone.map((m) => m.member).sort(), ['redis02', 's3']);
    for (const m of gone) {
      assert.ok((m.samples ?? 0) > 0, `${m.member}: sampled`);
      assert.equal(m.withoutQuorum, 0, `${m.member}: a quorum always knew a promotable replica`);
    }
    const n = await w.stop();
    assert.ok(n.ok > 100, `the writer made progress (${n.ok})`);
    assert.equal(n.failed, 0, 'no write failed while members came and went');

    assert.equal(await answers(c.ports.redis02), false, 'redis02 stopped');
    assert.equal(await answers(s3), false, 's3 stopped');
    for (const port of [s1, s2, p4]) {
      const k = await known(c, port);
      assert.ok(!k.sentinels.includes(s3), `sentinel ${port} forgot s3`);
      assert.ok(!k.replicas.includes(c.ports.redis02), `sentinel ${port} forgot redis02`);
      assert.deepEqual(k.replicas, [p3], `sentinel ${port}: redis03 is the replica`);
    }
    await waitStatus(c, (s) => s.healthy, 15_000, 'healthy with the new members');
    const again = await c.run(['apply', '--dry-run']);
    assert.match(again.stdout, /nothing to do/);
  });
});

test('apply killed while the sentinels forget a removed sentinel: run again, it finishes the job', async () => {
  await withCluster('apply-resume', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const [s1, s2, s3] = c.ports.sentinels as [number, number, number];
    writeFileSync(c.file, readFileSync(c.file, 'utf8').replace(/ {2}s3: .*\n/, ''));
    const out = await applyKilledAt(c, /SENTINEL RESET on each sentinel/);
    assert.match(out, /s3 stopped/);
    const plan = await c.run(['apply', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`- forget 127\\.0\\.0\\.1:${s3} `), plan.stdout);
    const w = writer(c);
    const r = await c.run(['apply', '--yes']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const n = await w.stop();
    assert.equal(n.failed, 0, 'no write failed');
    for (const port of [s1, s2]) {
      const k = await known(c, port);
      assert.deepEqual(
        k.sentinels,
        [port === s1 ? s2 : s1],
        `sentinel ${port} knows the other only`,
      );
    }
    assert.match((await c.run(['apply', '--dry-run'])).stdout, /nothing to do/);
  });
});
