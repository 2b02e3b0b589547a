import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runCheckRedis, runCheckSentinel } from '../../src/monitor/check-redis-main.js';
import { FUZZ_SEED, pick, rng } from '../helpers/fuzz.js';

/** Replies a hostile server might send, to whatever the plugin asks. */
const REPLIES: readonly (string | ((r: () => number) => string))[] = [
  '',
  '+OK\r\n',
  '-ERR nope\r\n',
  '-WRONGPASS invalid\r\n',
  ':1\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '$5\r\nab',
  '$99999999999\r\n',
  '*99999999\r\n',
  '*1\r\n'.repeat(100_000),
  '$-7\r\n',
  '?what\r\n',
  '%2\r\n+a\r\n:1\r\n+b\r\n',
  '_\r\n',
  '$40\r\nrole:slave\r\nmaster_link_status:maybe\r\n\r\n',
  '$60\r\nrole:master\r\nmaxmemory:abc\r\nused_memory:-5\r\nconnected_slaves:x\r\n\r\n',
  '$30\r\nslave0:ip=,port=,state=,lag=\r\n\r\n',
  '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n99999\r\n',
  '*3\r\n$6\r\nmaster\r\n:5\r\n*1\r\n*2\r\n$2\r\nip\r\n:1\r\n',
  (r) =>
    Buffer.from(
      Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256)),
    ).toString('latin1'),
];

interface Fake {
  port: number;
  close: () => Promise<void>;
}

/** Answers every request with the next hostile reply, sometimes hangs, sometimes hangs up. */
async function fakeServer(r: () => number): Promise<Fake> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', () => {
      const x = r();
      if (x < 0.05) return; // hang: the plugin's -t must answer
      if (x < 0.1) return void s.destroy();
      const reply = pick(r, REPLIES);
      s.write(typeof reply === 'string' ? reply : reply(r), 'latin1');
      if (x > 0.95) s.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test(`check plugins against a server sending malformed replies: 0-3 and a clean line, never a stack trace, within -t (seed ${FUZZ_SEED})`, async () => {
  const r = rng(FUZZ_SEED + 2);
  const fake = await fakeServer(r);
  const crashes: unknown[] = [];
  const onCrash = (e: unknown): number => crashes.push(e);
  process.on('uncaughtException', onCrash);
  try {
    for (let i = 0; i < 120; i++) {
      const p = String(fake.port);
      const plugin = i % 2 === 0 ? runCheckRedis : runCheckSentinel;
      const extra = i % 4 === 0 ? ['--sentinels', `127.0.0.1:${p}`] : [];
      const args = [
        '-H',
        '127.0.0.1',
        '-p',
        p,
        '-P',
        'secret-password',
        '-t',
        '0.5',
        ...(plugin === runCheckRedis ? extra : []),
      ];
      const t0 = performance.now();
      const run = await plugin(args, {});
      const took = performance.now() - t0;
      assert.ok([0, 1, 2, 3].includes(run.code), `exit ${run.code}`);
      assert.match(
        run.text,
        /^(REDIS|SENTINEL) (OK|WARNING|CRITICAL|UNKNOWN) - /,
        run.text.slice(0, 200),
      );
      assert.doesNotMatch(run.text, /\n\s+at .+:\d+:\d+/, 'no stack trace');
      assert.ok(!run.text.includes('secret-password'), 'the password never shows');
      assert.ok(took < 1500, `run ${i} took ${Math.round(took)} ms with -t 0.5`);
    }
  } finally {
    process.off('uncaughtException', onCrash);
    await fake.close();
  }
  assert.deepEqual(crashes, []);
});
