import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { terminate } from '../../src/util/pids.js';
import { FUZZ_SEED, pick, rng } from '../helpers/fuzz.js';
import { CLI } from '../helpers/cluster.js';
import { startRedis } from '../helpers/redis.js';

const PW = 'hostile-test-password-0123456789';
const CHILD = path.resolve(path.dirname(CLI), '../../test/helpers/proxy-child.js');
const GARBAGE = [
  '*abc\r\n',
  '$-5\r\nx\r\n',
  '*1\r\n$99999999999\r\n',
  '*2\r\n$3\r\nGET\r\n',
  '\u0000\u0001\u0002\r\n',
  'GET x\r\n',
  '*-1\r\n',
  '*1\r\n*1\r\n*1\r\n$4\r\nPING\r\n',
  '\r\n\r\n\r\n',
  '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n',
  'AUTH wrong\r\n',
  '*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n*1\r\n$4\r\nPING\r\n',
];

/**
 * The endpoint under hostile clients: garbage bytes, half-open and idle connections, a flood
 * past its file-descriptor limit (a clear error, existing clients served), a client that never
 * reads its replies. One well-behaved client must see no error throughout; the endpoint runs in
 * a process of its own with `ulimit -n 256`.
 */
test(`endpoint under garbage, idle, a connection flood and a slow reader: existing clients unaffected (seed ${FUZZ_SEED})`, async () => {
  const redis = await startRedis(['--requirepass', PW, '--maxclients', '10000']);
  const child = spawn(
    'bash',
    ['-c', `ulimit -n 256; exec "${process.execPath}" "${CHILD}" ${redis.port} ${PW}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const sockets: net.Socket[] = [];
  const good = new Redis({ port: 0, lazyConnect: true, password: PW, maxRetriesPerRequest: 0 });
  good.on('error', () => undefined);
  let errors = 0;
  let done = 0;
  let running = true;
  try {
    for (let i = 0; i < 100 && !/^port \d+/m.test(out); i++) await sleep(50);
    const port = Number(/^port (\d+)/m.exec(out)?.[1]);
    assert.ok(port > 0, out);
    good.options.port = port;
    await good.connect();
    const loop = (async () => {
      for (let i = 0; running; i++) {
        try {
          await good.set(`good:${i % 100}`, String(i));
          done++;
        } catch {
          errors++;
        }
        await sleep(2);
      }
    })();
    const open = (): net.Socket => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      sockets.push(s);
      return s;
    };

    // Garbage: seeded random bytes and malformed RESP, some closing at once, some staying.
    const r = rng(FUZZ_SEED + 3);
    for (let i = 0; i < 150; i++) {
      const s = open();
      const bytes =
        r() < 0.5
          ? pick(r, GARBAGE)
          : Buffer.from(
              Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256)),
            );
      s.write(bytes);
      if (r() < 0.5) s.end();
    }
    await sleep(500);
    // Idle and half-open: connected, never sending; or half a command, then silence.
    for (let i = 0; i < 60; i++) {
      const s = open();
      if (i % 2) s.write('*3\r\n$3\r\nSET\r\n$1\r\n');
    }
    await sleep(300);
    for (const s of sockets.splice(0)) s.destroy();

    // A flood past the descriptor limit: refused with Redis's own error, and said in the log.
    const flood = Array.from({ length: 400 }, () => open());
    for (const s of flood)
      s.write(`*2\r\n$4\r\nAUTH\r\n$${PW.length}\r\n${PW}\r\n*1\r\n$4\r\nPING\r\n`);
    await sleep(1500);
    const refused = flood.filter((s) => s.bytesRead > 0 && s.readableEnded).length;
    assert.ok(refused > 0, 'some flood connections refused');
    assert.match(
      out,
      /refusing new clients: \d+ connections, near the file-descriptor limit \(256\)/,
    );
    for (const s of sockets.splice(0)) s.destroy();
    await sleep(300);

    // A slow reader: asks for 100 MB of replies and never reads them; it is cut off at 64 MiB.
    await good.set('big', 'x'.repeat(1024 * 1024));
    const slow = open();
    slow.pause();
    slow.removeAllListeners('data');
    slow.write(`*2\r\n$4\r\nAUTH\r\n$${PW.length}\r\n${PW}\r\n`);
    for (let i = 0; i < 100; i++) slow.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
    const deadline = Date.now() + 20_000;
    while (!/does not read its replies/.test(out) && Date.now() < deadline) await sleep(100);
    assert.match(out, /closed a client from \S+ that does not read its replies \(\d+ MiB unread\)/);

    running = false;
    await loop;
    assert.equal(errors, 0, `the well-behaved client saw ${errors} errors`);
    assert.ok(done > 50, `and kept working (${done} writes)`);
    assert.equal((await good.get('good:1')) !== null, true);
    assert.equal(child.exitCode, null, 'the endpoint is still running');
    assert.doesNotMatch(out, /CRASH|stray rejection/);
  } finally {
    running = false;
    good.disconnect();
    for (const s of sockets) s.destroy();
    if (child.pid) await terminate(child.pid, 3000);
    await redis.stop();
  }
});
