import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from '../../src/state/ports.js';
import {
  waitStatus,
  withCluster,
  type TestCluster,
  killDrillAndRejoin,
} from '../helpers/cluster.js';

type SecretsFile = { sentinelPassword: string; users: Record<string, string> };

function secretsOf(c: TestCluster): SecretsFile {
  return JSON.parse(
    readFileSync(path.join(c.dir, '.redis-ha/secrets.json'), 'utf8'),
  ) as SecretsFile;
}

/** One fresh connection: the reply to AUTH then PING (RESP, no client library in between). */
async function ping(port: number, username: string, password: string): Promise<string> {
  const frame = (args: string[]): string =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const done = (r: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done(`timeout (${got})`), 5000);
    s.on('error', (e) => done(e.message));
    s.on('data', (d) => {
      got += d.toString('utf8');
      const lines = got.split('\r\n');
      if (lines.length < 3) return;
      // +OK then +PONG, or -WRONGPASS ... then -NOAUTH ...
      done(lines[0] === '+OK' ? (lines[1] ?? '').replace(/^\+/, '') : (lines[0] ?? '').slice(1));
    });
    s.write(frame(['AUTH', username, password]) + frame(['PING']));
  });
}

test('secrets rotate: new passwords everywhere with writes going on; old ones accepted until --finish, refused after; failover still works', async () => {
  const ep = await freePort();
  await withCluster(
    'rotate',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const before = secretsOf(c);
      const oldApp = before.users.app!;
      // An application connected with the old password keeps writing through the endpoint.
      const app = c.client(ep, 'app');
      let acked = 0;
      let failed = 0;
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await app.set(`rot:${i}`, String(i)).then(
            () => acked++,
            () => failed++,
          );
          await sleep(2);
        }
      })();

      try {
        await rotateWhileWriting();
      } finally {
        writing = false;
        await writer;
      }
      assert.ok(acked > 100, `the application kept writing (${acked} writes)`);
      assert.equal(failed, 0, 'no write failed during the rotation');

      async function rotateWhileWriting(): Promise<void> {
        const start = await c.run(['secrets', 'rotate', '--json']);
        assert.equal(start.code, 0, start.stderr + start.stdout);
        const mid = secretsOf(c);
        assert.notEqual(mid.users.app, oldApp);
        assert.notEqual(mid.sentinelPassword, before.sentinelPassword);
        // Both accepted, on a node and through the endpoint (its own AUTH answer).
        for (const port of [c.ports.redis01, c.ports.redis02, ep]) {
          assert.equal(await ping(port, 'app', oldApp), 'PONG', `old password on ${port}`);
          assert.equal(await ping(port, 'app', mid.users.app!), 'PONG', `new password on ${port}`);
        }
        await waitStatus(c, (s) => s.healthy, 10_000, 'healthy with the new passwords in use');

        const fin = await c.run(['secrets', 'rotate', '--finish']);
        assert.equal(fin.code, 0, fin.stderr + fin.stdout);
        for (const port of [c.ports.redis01, c.ports.redis02, ep]) {
          assert.match(await ping(port, 'app', oldApp), /WRONGPASS/, `old password on ${port}`);
          assert.equal(await ping(port, 'app', mid.users.app!), 'PONG');
        }
        assert.match(
          await ping(c.ports.sentinels[0]!, 'default', before.sentinelPassword),
          /WRONGPASS/,
        );
      }

      // Every connection redis-ha holds is cut: they come back with the new passwords.
      const admin = new Redis({
        port: c.ports.redis01,
        username: 'admin',
        password: secretsOf(c).users.admin,
        lazyConnect: true,
      });
      await admin.connect();
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      admin.disconnect();
      await waitStatus(c, (s) => s.healthy, 10_000, 'healthy after reconnecting');
      const deadline = Date.now() + 10_000;
      let metrics = '';
      while (Date.now() < deadline) {
        metrics = await c.metrics();
        if (/^redis_up\{node="redis01"\} 1$/m.test(metrics)) break;
        await sleep(200);
      }
      assert.match(metrics, /^redis_up\{node="redis01"\} 1$/m);

      // Failover with the new sentinel and replication passwords; the drill writes as the new app.
      await killDrillAndRejoin(c, 'with the new passwords');
      assert.equal((await c.run(['secrets', 'rotate', '--finish'])).code, 2, 'nothing to finish');
    },
  );
});
