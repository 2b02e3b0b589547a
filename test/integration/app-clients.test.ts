import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, type RedisOptions } from 'ioredis';
import { withCluster, type TestCluster } from '../helpers/cluster.js';

interface SecretsJson {
  redisPassword: string;
  sentinelPassword: string;
  dashboardToken: string;
  users: Record<string, string>;
}

const FORBIDDEN = [
  ['CONFIG', 'GET', 'maxmemory'],
  ['CONFIG', 'SET', 'maxmemory', '1'],
  ['SHUTDOWN', 'NOSAVE'],
  ['ACL', 'LIST'],
  ['ACL', 'CAT'],
  ['ACL', 'SETUSER', 'intruder', 'on', '>pw', '+@all'],
  ['REPLICAOF', 'NO', 'ONE'],
  ['SLAVEOF', 'NO', 'ONE'],
  ['FLUSHALL'],
  ['FLUSHDB'],
  ['KEYS', '*'],
  ['MONITOR'],
];

/** What ioredis (and libraries calling INFO or CLIENT) do with default options, as app. */
async function exercise(r: Redis, where: string, secrets: string[]): Promise<void> {
  const info = await r.info('everything');
  assert.match(info, /redis_version:7\./, where);
  for (const s of secrets) assert.ok(!info.includes(s), `${where}: a secret in INFO`);
  assert.equal(await r.client('SETNAME', 'orders-api'), 'OK', where);
  assert.equal(await r.client('GETNAME'), 'orders-api', where);
  assert.equal(typeof (await r.client('ID')), 'number', where);
  assert.match(String(await r.client('INFO')), / name=orders-api .* user=app /, where);
  const hello = (await r.call('HELLO', '2')) as unknown[];
  assert.equal(hello[1], 'redis', `${where}: HELLO`);
  assert.equal(await r.call('ACL', 'WHOAMI'), 'app', where);
  for (const cmd of FORBIDDEN) {
    const [name, ...args] = cmd;
    await assert.rejects(r.call(name!, ...args), /NOPERM/, `${where}: ${cmd.join(' ')}`);
  }
  // DEBUG is refused before the ACL is consulted (enable-debug-command); the ACL denies it too.
  await assert.rejects(r.call('DEBUG', 'SLEEP', '0'), /NOPERM|not allowed/, `${where}: DEBUG`);
}

function ready(r: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    r.once('ready', resolve);
    r.once('error', reject);
  });
}

async function clients(c: TestCluster, s: SecretsJson, warnings: string[]): Promise<void> {
  const app = { username: 'app', password: s.users.app };
  const secrets = [
    s.redisPassword,
    s.sentinelPassword,
    s.dashboardToken,
    ...Object.values(s.users),
  ];
  const made: Redis[] = [];
  const make = (o: RedisOptions): Redis => {
    const r = new Redis({ ...app, ...o });
    r.on('error', (e: Error) => warnings.push(`error event: ${e.message}`));
    made.push(r);
    return r;
  };
  try {
    for (const [where, port] of [
      ['the primary', c.ports.redis01],
      ['the replica', c.ports.redis02],
      ['the endpoint', c.ports.endpoint],
    ] as const) {
      const r = make({ host: '127.0.0.1', port });
      await ready(r);
      await exercise(r, where, secrets);
    }
    // Sentinel mode: the ready check's INFO also checks the role of the node it was given.
    const sentinel = make({
      sentinels: c.ports.sentinels.map((port) => ({ host: '127.0.0.1', port })),
      name: 'mymaster',
      sentinelPassword: s.sentinelPassword,
    });
    await ready(sentinel);
    assert.equal(await sentinel.set('via-sentinels', '1'), 'OK');
  } finally {
    for (const r of made) r.disconnect();
  }
}

test('as user app, clients with default options: no warning; INFO (no secret in it), CLIENT SETNAME/GETNAME/ID/INFO, HELLO, ACL WHOAMI; CONFIG, DEBUG, SHUTDOWN, ACL, REPLICAOF, FLUSHALL still refused, directly and through the endpoint', async () => {
  await withCluster('app-clients', {}, async (c) => {
    const up = await c.run(['up', '--detach']);
    assert.equal(up.code, 0, up.stderr);
    const s = JSON.parse((await c.run(['secrets', '--json'])).stdout) as SecretsJson;
    const warnings: string[] = [];
    const saved = { warn: console.warn, error: console.error };
    console.warn = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));
    console.error = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));
    try {
      await clients(c, s, warnings);
    } finally {
      Object.assign(console, saved);
    }
    assert.deepEqual(warnings, [], 'nothing printed by the clients');
  });
});
