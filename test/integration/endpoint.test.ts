import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { freePort } from '../../src/state/ports.js';
import { CLI, withCluster, type TestCluster } from '../helpers/cluster.js';

/** Which node a fresh connection through the endpoint lands on (its tcp_port). */
async function landsOn(c: TestCluster, endpoint: number): Promise<number> {
  const r = c.client(endpoint, 'monitor');
  const port = Number(/tcp_port:(\d+)/.exec(await r.info('server'))?.[1]);
  r.disconnect();
  return port;
}

function cliThrough(
  port: number,
  auth: { username?: string; password: string },
  ...args: string[]
): string {
  const user = auth.username ? ['--user', auth.username] : [];
  const r = spawnSync('redis-cli', ['-p', String(port), ...user, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, REDISCLI_AUTH: auth.password },
  });
  return r.stdout.trim();
}

async function exercise(c: TestCluster, endpoint: number, tag: string): Promise<void> {
  // ioredis: GET/SET, MULTI/EXEC, SUBSCRIBE, BLPOP.
  const r = c.client(endpoint, 'app');
  assert.equal(await r.set(`${tag}:k`, 'v'), 'OK');
  assert.equal(await r.get(`${tag}:k`), 'v');
  const tx = await r.multi().incr(`${tag}:n`).incr(`${tag}:n`).exec();
  assert.deepEqual(
    tx?.map(([, v]) => v),
    [1, 2],
  );
  const sub = c.client(endpoint, 'app');
  const got = new Promise<string>((resolve) =>
    sub.on('message', (_ch: string, m: string) => resolve(m)),
  );
  await sub.subscribe(`${tag}:ch`);
  await r.publish(`${tag}:ch`, 'hello');
  assert.equal(await got, 'hello');
  const blocker = c.client(endpoint, 'app');
  const popped = blocker.blpop(`${tag}:q`, 5);
  await sleep(100);
  await r.lpush(`${tag}:q`, 'item');
  assert.deepEqual(await popped, [`${tag}:q`, 'item']);
  for (const x of [r, sub, blocker]) x.disconnect();

  // node-redis v5, RESP3 (HELLO 3) through the same bytes.
  const nr = createClient({
    socket: { host: '127.0.0.1', port: endpoint, reconnectStrategy: false },
    ...c.auth('app'),
    RESP: 3,
  });
  nr.on('error', () => undefined);
  await nr.connect();
  assert.equal(await nr.set(`${tag}:nr`, '1'), 'OK');
  assert.deepEqual(await nr.multi().incr(`${tag}:nr`).get(`${tag}:nr`).exec(), [2, '2']);
  nr.destroy();

  // redis-cli, RESP2 and RESP3.
  assert.equal(cliThrough(endpoint, c.auth('app'), 'SET', `${tag}:cli`, 'x'), 'OK');
  assert.equal(cliThrough(endpoint, c.auth('app'), '-3', 'GET', `${tag}:cli`), 'x');
  assert.match(cliThrough(endpoint, c.auth('app'), '-3', 'CLIENT', 'INFO'), /resp=3/);
}

async function eventuallyLandsOn(c: TestCluster, endpoint: number, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await landsOn(c, endpoint)) !== port && Date.now() < deadline) await sleep(100);
  assert.equal(await landsOn(c, endpoint), port);
}

test('ioredis, node-redis and redis-cli through the endpoint, before and after a failover; the read endpoint follows the replica', async () => {
  const ep = await freePort();
  const rp = await freePort();
  await withCluster(
    'endpoint',
    {
      extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}", readListen: "127.0.0.1:${rp}" }`,
    },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(
        up.stdout,
        new RegExp(
          `connect to redis://app@127\\.0\\.0\\.1:${ep} \\(the endpoint: always the primary\\)`,
        ),
      );
      assert.match(up.stdout, new RegExp(`read endpoint .*: 127\\.0\\.0\\.1:${rp}`));
      assert.equal(await landsOn(c, ep), c.ports.redis01);
      await eventuallyLandsOn(c, rp, c.ports.redis02);
      const reader = c.client(rp, 'app');
      await assert.rejects(reader.set('r', '1'), /READONLY/);
      reader.disconnect();
      await exercise(c, ep, 'before');

      const held = c.client(ep, 'app');
      await held.ping();
      const closedOnSwitch = new Promise<void>((resolve) => held.once('close', () => resolve()));
      const f = await c.run(['failover']);
      assert.equal(f.code, 0, f.stderr + f.stdout);
      await closedOnSwitch; // the endpoint closed the connection it held to the old primary
      held.disconnect();

      await eventuallyLandsOn(c, ep, c.ports.redis02);
      await exercise(c, ep, 'after');
      await eventuallyLandsOn(c, rp, c.ports.redis01);
    },
  );
});

test('the endpoint never routes to a node that says role:master but that the sentinels do not name', async () => {
  const ep = await freePort();
  await withCluster(
    'stale-master',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      // redis02 (a replica) declares itself master: a stale or rogue primary.
      const rogue = c.client(c.ports.redis02);
      assert.equal(await rogue.call('REPLICAOF', 'NO', 'ONE'), 'OK');
      assert.match(await rogue.info('replication'), /role:master/);
      for (let i = 0; i < 20; i++)
        assert.equal(await landsOn(c, ep), c.ports.redis01, 'always the node the sentinels name');
      const events = (await c.run(['logs', '-n', '200'])).stdout;
      assert.doesNotMatch(events, /switch: redis01 -> redis02/);
    },
  );
});

test('`redis-ha proxy` refuses a topology without an endpoint', async () => {
  await withCluster('proxy-usage', { extra: 'endpoint: { mode: none }' }, async (c) => {
    const r = await c.run(['proxy']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: endpoint.mode is "none" in .*\nhint: set `endpoint: \{ mode: proxy/,
    );
  });
});

test('the endpoint alone (`redis-ha proxy`) follows a running topology', async () => {
  const ep = await freePort();
  await withCluster(
    'proxy-alone',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const other = await freePort();
      const yaml = readFileSync(c.file, 'utf8').replace(`127.0.0.1:${ep}`, `127.0.0.1:${other}`);
      const file2 = `${c.file}.proxy.yaml`;
      writeFileSync(file2, yaml);
      const p = spawn(
        process.execPath,
        [CLI, 'proxy', '-f', file2, '--state-dir', `${c.dir}/.redis-ha`],
        { cwd: c.dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        const deadline = Date.now() + 10_000;
        while (!out.includes('endpoint listening') && Date.now() < deadline) await sleep(50);
        assert.match(
          out,
          new RegExp(`endpoint listening on 127\\.0\\.0\\.1:${other}, routing to redis01`),
        );
        assert.equal(await landsOn(c, other), c.ports.redis01);
      } finally {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('close', r));
      }
      assert.match(out, /endpoint stopped/);
    },
  );
});
