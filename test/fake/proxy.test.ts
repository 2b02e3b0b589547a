import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { ProxyEndpoint, type PrimarySource } from '../../src/endpoint/proxy.js';
import type { HaEvent } from '../../src/events/events.js';
import type { NodeSpec } from '../../src/topology/model.js';

/** A fake upstream: answers every chunk with "<name>:<chunk>". */
async function upstream(
  name: string,
): Promise<{ node: NodeSpec<number>; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d) => s.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const node: NodeSpec<number> = {
    kind: 'node',
    name,
    role: 'replica',
    host: '127.0.0.1',
    bind: ['127.0.0.1'],
    port,
    priority: 100,
  };
  return {
    node,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

class FakeSource implements PrimarySource {
  primary: NodeSpec<number> | undefined;
  reconciles = 0;
  readonly #ee = new EventEmitter();
  set(p: NodeSpec<number> | undefined): void {
    this.primary = p;
    this.#ee.emit('primary', { to: p });
  }
  on(name: 'primary', fn: (p: { to: NodeSpec<number> | undefined }) => void): () => void {
    this.#ee.on(name, fn);
    return () => this.#ee.off(name, fn);
  }
  reconcile(): void {
    this.reconciles++;
  }
  leave(n: NodeSpec<number>): void {
    this.#ee.emit('leaving', n);
  }
  onLeaving(fn: (n: NodeSpec<number>) => void): () => void {
    this.#ee.on('leaving', fn);
    return () => this.#ee.off('leaving', fn);
  }
}

async function withProxy(
  source: FakeSource,
  waitMs: number,
  fn: (port: number, events: HaEvent[]) => Promise<void>,
): Promise<void> {
  const proxy = new ProxyEndpoint({ host: '127.0.0.1', port: 0, source, waitMs });
  const events: HaEvent[] = [];
  proxy.on('event', (e) => events.push(e));
  await proxy.start();
  try {
    await fn(proxy.address.port, events);
  } finally {
    await proxy.stop();
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

function ask(s: net.Socket, text: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer')), timeoutMs);
    s.once('data', (d) => {
      clearTimeout(t);
      resolve(d.toString());
    });
    s.write(text);
  });
}

const closed = (s: net.Socket): Promise<void> =>
  new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

test('bytes go to the current primary unchanged', async () => {
  const a = await upstream('A');
  const src = new FakeSource();
  src.set(a.node);
  await withProxy(src, 500, async (port) => {
    const c = await connect(port);
    assert.equal(await ask(c, '*1\r\n$4\r\nPING\r\n'), 'A:*1\r\n$4\r\nPING\r\n');
    c.destroy();
  });
  await a.close();
});

test('on a switch, connections to the old primary are closed and new ones reach the new one', async () => {
  const [a, b] = [await upstream('A'), await upstream('B')];
  const src = new FakeSource();
  src.set(a.node);
  await withProxy(src, 500, async (port, events) => {
    const c = await connect(port);
    assert.equal(await ask(c, 'x'), 'A:x');
    src.set(b.node);
    await closed(c);
    const d = await connect(port);
    assert.equal(await ask(d, 'y'), 'B:y');
    d.destroy();
    assert.ok(
      events.some((e) => e.message === 'switch: A -> B (closed 1 connection to other nodes)'),
    );
  });
  await Promise.all([a.close(), b.close()]);
});

test('losing confirmation keeps open connections (a slow reply is not a failover); new ones wait', async () => {
  const [a, b] = [await upstream('A'), await upstream('B')];
  const src = new FakeSource();
  src.set(a.node);
  await withProxy(src, 3000, async (port, events) => {
    const c = await connect(port);
    assert.equal(await ask(c, 'x'), 'A:x');
    src.set(undefined);
    assert.equal(await ask(c, 'still'), 'A:still', 'the open connection still reaches A');
    const d = await connect(port);
    const waiting = ask(d, 'w', 3000);
    assert.ok(
      events.some((e) => /no confirmed primary: new connections wait; 1 open/.test(e.message)),
    );
    src.set(b.node);
    await closed(c);
    assert.equal(await waiting, 'B:w');
    d.destroy();
  });
  await Promise.all([a.close(), b.close()]);
});

test('a primary a failover leader is replacing loses its kept connections at once', async () => {
  const a = await upstream('A');
  const src = new FakeSource();
  src.set(a.node);
  await withProxy(src, 3000, async (port, events) => {
    const c = await connect(port);
    assert.equal(await ask(c, 'x'), 'A:x');
    src.set(undefined); // stopped answering: kept
    src.leave(a.node); // a leader promotes another node: closed
    await closed(c);
    assert.ok(
      events.some((e) => /A is being replaced by a failover: closing 1 connection/.test(e.message)),
    );
  });
  await a.close();
});

test('a node being replaced: its replies in flight still arrive, nothing more is sent to it', async () => {
  // Answers 5 ms late, as a command the old primary already executed.
  const sockets = new Set<net.Socket>();
  const got: string[] = [];
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      got.push(d.toString());
      setTimeout(() => s.writable && s.write(`A:${d.toString()}`), 5);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = await upstream('A');
  const node = { ...a.node, port: (srv.address() as net.AddressInfo).port };
  const src = new FakeSource();
  src.set(node);
  await withProxy(src, 3000, async (port) => {
    const c = await connect(port);
    assert.equal(await ask(c, 'first'), 'A:first');
    const reply = ask(c, 'executed');
    await new Promise((r) => setTimeout(r, 1)); // on its way to A
    src.leave(node);
    c.write('after');
    assert.equal(await reply, 'A:executed', 'the reply of a command A had is delivered');
    await closed(c);
    assert.deepEqual(got, ['first', 'executed'], 'nothing written after the leave reaches A');
  });
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => srv.close(() => r()));
  await a.close();
});

test('with no primary a client waits, and is served when one appears', async () => {
  const a = await upstream('A');
  const src = new FakeSource();
  await withProxy(src, 3000, async (port) => {
    const c = await connect(port);
    const answer = ask(c, 'early', 3000);
    await new Promise((r) => setTimeout(r, 200));
    src.set(a.node);
    assert.equal(await answer, 'A:early', 'bytes sent while waiting are delivered, not lost');
    c.destroy();
  });
  await a.close();
});

test('with no primary for longer than the wait, the client is refused with a log line', async () => {
  const src = new FakeSource();
  await withProxy(src, 200, async (port, events) => {
    const c = await connect(port);
    const t0 = Date.now();
    await closed(c);
    assert.ok(Date.now() - t0 >= 150);
    assert.ok(
      events.some(
        (e) =>
          /refused a client .*no confirmed primary within 200ms/.test(e.message) &&
          e.level === 'warn',
      ),
    );
  });
});

test('an upstream that refuses (a primary that just died) sends the client back to wait, not to an error', async () => {
  const a = await upstream('A');
  const dead = { ...a.node, name: 'dead' };
  await a.close(); // nothing listens on A's port now
  const b = await upstream('B');
  const src = new FakeSource();
  src.set(dead);
  await withProxy(src, 3000, async (port) => {
    const c = await connect(port);
    const answer = ask(c, 'z', 3000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(src.reconciles >= 1, 'the watcher was asked to look again');
    src.set(b.node);
    assert.equal(await answer, 'B:z');
    c.destroy();
  });
  await b.close();
});
