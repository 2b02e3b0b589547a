import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { ProxyEndpoint, type PrimarySource } from '../../src/endpoint/proxy.js';
import { terminate } from '../../src/util/pids.js';
import { freePort } from '../../src/state/ports.js';
import type { NodeSpec } from '../../src/topology/model.js';

const PASSWORD = 'mux-test-password-0123456789';

/** Errors surface through the commands; a late reconnect attempt must not print. */
function quiet(r: Redis): Redis {
  r.on('error', () => undefined);
  return r;
}

class StaticSource implements PrimarySource {
  readonly #e = new EventEmitter();
  constructor(readonly primary: NodeSpec<number>) {}
  on(name: 'primary', fn: (p: { to: NodeSpec<number> | undefined }) => void): () => void {
    this.#e.on(name, fn);
    return () => this.#e.off(name, fn);
  }
}

/** One real redis-server (own port, own dir, stopped by PID) behind a multiplexing endpoint. */
async function withMux(fn: (port: number, upstream: number) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-mux-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', PASSWORD, '--save', ''],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  const node: NodeSpec<number> = {
    kind: 'node',
    name: 'redis01',
    role: 'primary',
    host: '127.0.0.1',
    bind: ['127.0.0.1'],
    port,
    priority: 100,
  };
  const proxy = new ProxyEndpoint({
    host: '127.0.0.1',
    port: 0,
    source: new StaticSource(node),
    waitMs: 2000,
    multiplex: true,
    auth: { password: PASSWORD },
  });
  try {
    for (let i = 0; i < 100 && !log.includes('Ready to accept'); i++) await sleep(50);
    assert.match(log, /Ready to accept/, `redis-server did not start:\n${log}`);
    await proxy.start();
    await fn(proxy.address.port, port);
  } finally {
    await proxy.stop();
    if (child.pid) await terminate(child.pid, 3000);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('multiplexed: 30 clients pipelining at once each get exactly their own replies', async () => {
  await withMux(async (port) => {
    const clients = Array.from({ length: 30 }, () =>
      quiet(new Redis({ port, host: '127.0.0.1', password: PASSWORD })),
    );
    try {
      await Promise.all(
        clients.map(async (c, i) => {
          for (let round = 0; round < 5; round++) {
            const p = c.pipeline();
            for (let k = 0; k < 100; k++) p.incr(`ctr:${i}`).set(`v:${i}:${k}`, `${i}-${k}`);
            p.get(`ctr:${i}`);
            const out = (await p.exec()) ?? [];
            assert.equal(out.at(-1)?.[1], String((round + 1) * 100), `client ${i}`);
          }
          const vals = await c.mget(Array.from({ length: 100 }, (_, k) => `v:${i}:${k}`));
          assert.deepEqual(
            vals,
            Array.from({ length: 100 }, (_, k) => `${i}-${k}`),
          );
        }),
      );
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

test('multiplexed: transactions, blocking, pub/sub, big values and SELECT move a client to its own connection', async () => {
  await withMux(async (port) => {
    const a = quiet(new Redis({ port, host: '127.0.0.1', password: PASSWORD }));
    const b = quiet(new Redis({ port, host: '127.0.0.1', password: PASSWORD }));
    const sub = quiet(new Redis({ port, host: '127.0.0.1', password: PASSWORD }));
    try {
      await a.set('x', '1');
      const tx = await a.multi().incr('x').get('x').exec();
      assert.deepEqual(tx, [
        [null, 2],
        [null, '2'],
      ]);
      const popped = b.blpop('q', 5);
      await sleep(100);
      await a.rpush('q', 'job');
      assert.deepEqual(await popped, ['q', 'job']);
      const got = new Promise<string>((r) => sub.once('message', (_c: string, m: string) => r(m)));
      await sub.subscribe('ch');
      await a.publish('ch', 'hello');
      assert.equal(await got, 'hello');
      const big = 'z'.repeat(300_000);
      await b.set('big', big);
      assert.equal(
        await a.get('big'),
        big,
        'a reply spanning many chunks on the shared connection',
      );
      await a.select(1);
      assert.equal(await a.get('x'), null, 'db 1 on its own connection');
    } finally {
      for (const c of [a, b, sub]) c.disconnect();
    }
  });
});

test('multiplexed: wrong or missing password gets the server own errors; node-redis v5 works', async () => {
  await withMux(async (port) => {
    const none = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    none.on('error', () => undefined);
    await none.connect();
    await assert.rejects(none.get('x'), /NOAUTH/);
    none.disconnect();
    const wrong = new Redis({
      port,
      host: '127.0.0.1',
      password: 'nope',
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    wrong.on('error', (e: Error) => errors.push(e.message));
    await assert.rejects(wrong.connect());
    assert.ok(
      errors.some((m) => /WRONGPASS/.test(m)),
      `the server's own answer: ${errors.join('; ')}`,
    );
    wrong.disconnect();
    const nr = createNodeRedis({ url: `redis://127.0.0.1:${port}`, password: PASSWORD });
    nr.on('error', () => undefined);
    await nr.connect();
    await nr.set('n', 'v');
    assert.equal(await nr.get('n'), 'v');
    await nr.quit();
  });
});

test("multiplexed: ioredis's ready check (INFO) and CLIENT SETINFO keep default clients on the shared connection; CLIENT SETNAME moves one to its own", async () => {
  await withMux(async (port, upstream) => {
    const direct = quiet(new Redis({ port: upstream, password: PASSWORD }));
    const connections = async (): Promise<number> =>
      String(await direct.client('LIST'))
        .trim()
        .split('\n')
        .filter((l) => !/ name=direct /.test(l)).length;
    await direct.client('SETNAME', 'direct');
    const clients = Array.from({ length: 10 }, () =>
      quiet(new Redis({ port, host: '127.0.0.1', password: PASSWORD })),
    );
    const nr = createNodeRedis({ url: `redis://127.0.0.1:${port}`, password: PASSWORD });
    nr.on('error', () => undefined);
    let named: Redis | undefined;
    try {
      await Promise.all(clients.map((c) => new Promise((r) => c.once('ready', r))));
      for (const c of clients) assert.match(await c.info('server'), /redis_version:/);
      await nr.connect();
      assert.equal(await nr.set('nr', '1'), 'OK');
      // Their CLIENT SETINFO (unknown to Redis 7.0) is answered on the shared connection too.
      assert.equal(await connections(), 1, 'eleven ready clients, one shared connection');
      named = quiet(new Redis({ port, password: PASSWORD, connectionName: 'named-app' }));
      assert.equal(await named.client('GETNAME'), 'named-app', 'its own name, on its own');
      assert.equal(await connections(), 2);
      assert.equal(await clients[0]!.client('GETNAME'), null, 'a shared one was never named');
    } finally {
      for (const c of [...clients, direct]) c.disconnect();
      named?.disconnect();
      await nr.quit().catch(() => undefined);
    }
  });
});
