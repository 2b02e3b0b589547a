import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/state/ports.js';
import {
  CLI,
  listeningPorts,
  processesUnder,
  withCluster,
  killDrillAndRejoin,
} from '../helpers/cluster.js';

type Users = Record<'admin' | 'app' | 'replication' | 'sentinel' | 'monitor', string>;

async function as(
  port: number,
  username: string | undefined,
  password: string,
  cmd: string[],
): Promise<string> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    username,
    password,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const [name, ...args] = cmd;
    return String(await r.call(name!, ...args));
  } catch (e) {
    return `ERR ${(e as Error).message.split('\n')[0]}`;
  } finally {
    r.disconnect();
  }
}

test('auth.mode acl: default user off, each user allowed what its role needs and denied the rest; failover and rejoin still work', async () => {
  const ep = await freePort();
  await withCluster(
    'acl',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }\nauth: { mode: acl }` },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      const s = JSON.parse((await c.run(['secrets', '--json'])).stdout) as {
        redisPassword: string;
        users: Users;
      };
      const u = s.users;
      const p = c.ports.redis01;

      // Every port the running topology listens on refuses unauthenticated use (found from
      // /proc, so a listener nobody thought of fails the test too).
      const ports = listeningPorts(processesUnder(c.dir));
      const known = new Map<number, string>([
        [c.ports.redis01, 'redis'],
        [c.ports.redis02, 'redis'],
        ...c.ports.sentinels.map((x) => [x, 'redis'] as [number, string]),
        [ep, 'redis'],
        [c.ports.exporter, 'http'],
        [c.ports.dashboard, 'http'],
      ]);
      assert.deepEqual(
        ports,
        [...known.keys()].sort((a, b) => a - b),
        'the listeners',
      );
      for (const [port, kind] of known) {
        if (kind === 'redis') {
          const r = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' });
          assert.match(r.stdout, /NOAUTH/, `port ${port} without credentials`);
        } else {
          for (const path of ['/', '/metrics', '/api/snapshot', '/events'])
            if ((await fetch(`http://127.0.0.1:${port}${path}`)).status === 200)
              assert.fail(`port ${port} answered ${path} without credentials`);
        }
      }
      // The exporter's check service runs a check only with the caller's own credentials.
      const noPw = spawnSync(
        path.resolve(path.dirname(CLI), '../../../bin/check_redis'),
        ['--via', `127.0.0.1:${c.ports.exporter}`, '-p', String(p), '--role', 'primary'],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      assert.equal(noPw.status, 2, `a check without a password: ${noPw.stdout}`);
      const dflt = spawnSync(
        'redis-cli',
        ['-p', String(p), '--no-auth-warning', '-a', s.redisPassword, 'PING'],
        { encoding: 'utf8' },
      );
      assert.match(dflt.stdout + dflt.stderr, /WRONGPASS/, 'the default user is off');
      // app: data, not administration.
      assert.equal(await as(p, 'app', u.app, ['SET', 'k', 'v']), 'OK');
      for (const cmd of [
        ['CONFIG', 'SET', 'maxmemory', '1'],
        ['FLUSHALL'],
        ['REPLICAOF', 'NO', 'ONE'],
        ['ACL', 'LIST'],
        ['KEYS', '*'],
      ])
        assert.match(await as(p, 'app', u.app, cmd), /^ERR NOPERM/, `app: ${cmd.join(' ')}`);
      // DEBUG is refused before ACLs are consulted (enable-debug-command); the ACL denies it too.
      assert.match(
        await as(p, 'admin', u.admin, ['ACL', 'DRYRUN', 'app', 'DEBUG', 'SLEEP', '0']),
        /no permissions to run the 'debug' command/,
      );
      // monitor: read-only introspection, never secrets.
      assert.match(await as(p, 'monitor', u.monitor, ['INFO', 'replication']), /role:master/);
      for (const cmd of [
        ['SET', 'k', 'x'],
        ['GET', 'k'],
        ['CONFIG', 'GET', 'masterauth'],
        ['ACL', 'LIST'],
      ])
        assert.match(
          await as(p, 'monitor', u.monitor, cmd),
          /^ERR NOPERM/,
          `monitor: ${cmd.join(' ')}`,
        );
      // replication and sentinel: what replicas and Sentinel need, nothing on the data.
      assert.equal(await as(p, 'replication', u.replication, ['PING']), 'PONG');
      assert.match(await as(p, 'replication', u.replication, ['GET', 'k']), /^ERR NOPERM/);
      assert.match(await as(p, 'sentinel', u.sentinel, ['ROLE']), /master/);
      assert.match(await as(p, 'sentinel', u.sentinel, ['GET', 'k']), /^ERR NOPERM/);
      assert.equal(
        await as(p, 'admin', u.admin, ['CONFIG', 'GET', 'maxmemory']),
        'maxmemory,536870912',
      );
      // Through the endpoint, as the application does.
      assert.equal(await as(ep, 'app', u.app, ['GET', 'k']), 'v');
      const wrong = spawnSync(
        'redis-cli',
        [
          '-p',
          String(ep),
          '--no-auth-warning',
          '--user',
          'app',
          '-a',
          'wrong-password-0123456789',
          'GET',
          'k',
        ],
        { encoding: 'utf8' },
      );
      assert.match(
        wrong.stdout + wrong.stderr,
        /WRONGPASS/,
        'a wrong password through the endpoint',
      );
      // Passwords in redis.conf only as SHA-256 (masterauth must stay usable: the replication one).
      const conf = readFileSync(path.join(c.dir, '.redis-ha/nodes/redis01/redis.conf'), 'utf8');
      assert.match(conf, /^user default off$/m);
      for (const k of ['admin', 'app', 'sentinel', 'monitor'] as const)
        assert.ok(!conf.includes(u[k]), `${k} in clear`);
      // The checks run as monitor.
      const plugin = path.resolve(path.dirname(CLI), '../../../bin/check_redis');
      const chk = spawnSync(
        plugin,
        ['-p', String(p), '--user', 'monitor', '-P', u.monitor, '--role', 'primary'],
        { encoding: 'utf8' },
      );
      assert.equal(chk.status, 0, chk.stdout + chk.stderr);
      const metrics = await c.metrics();
      assert.match(metrics, /^redis_up\{node="redis02"\} 1$/m);

      // Failover and rejoin with Sentinel's minimal ACL; the drill writes as app through the endpoint.
      await killDrillAndRejoin(c, "with Sentinel's minimal ACL");
      assert.equal(
        await as(ep, 'app', u.app, ['GET', 'k']),
        'v',
        'the data survived, through the endpoint',
      );
    },
  );
});
