import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, cli, withCluster } from '../helpers/cluster.js';
import { startRedis, type LoneRedis } from '../helpers/redis.js';
import { freePort } from '../../src/state/ports.js';

/** The installed form: the wrapper Nagios runs, which runs the bundled plugin. */
const PLUGIN = path.resolve(path.dirname(CLI), '../../../bin/check_redis');

/** Runs the plugin as Nagios would (its own process); bounded. */
function plugin(
  args: string[],
  timeoutMs = 20_000,
  bin = PLUGIN,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out });
    });
  });
}

const PW = 'check-test-password-0123456789';
const args = (port: number, ...more: string[]): string[] => [
  '-H',
  '127.0.0.1',
  '-p',
  String(port),
  '-P',
  PW,
  ...more,
];

test('check_redis against real states: no replicas, replica, broken link, lag, auth, arguments, timeout', async () => {
  const primary = await startRedis(['--requirepass', PW, '--masterauth', PW]);
  let replica: LoneRedis | undefined;
  try {
    // A primary without replicas; seed usage unchanged (-w/-c in ms); maxmemory 0.
    let r = await plugin(
      args(primary.port, '-w', '100', '-c', '500', '-t', '5', '--role', 'primary'),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(
      r.out,
      /^REDIS OK - primary \(Redis 7\.\d+\.\d+\) responding in [\d.]+ms \| 'response_time'=[\d.]+s;0\.1;0\.5;0 /,
    );
    assert.match(r.out, /'used_memory'=\d+B;;;0 /, 'maxmemory 0: no max, no percentage');
    r = await plugin(args(primary.port, '--replicas-critical', '1:'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^REDIS CRITICAL - 0\/0 replicas in sync/);

    replica = await startRedis([
      '--requirepass',
      PW,
      '--masterauth',
      PW,
      '--replicaof',
      '127.0.0.1',
      String(primary.port),
    ]);
    for (let i = 0; i < 100; i++) {
      r = await plugin(args(primary.port, '--replicas-critical', '1:'));
      if (r.code === 0) break;
      await sleep(100);
    }
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /'replicas_in_sync'=1;;1:;0/);

    // A replica where a primary is expected; -v lists every check.
    r = await plugin(args(replica.port, '--role', 'primary', '-v'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^REDIS CRITICAL - role is replica, expected primary/);
    assert.match(r.out, /\n\[OK\] link to 127\.0\.0\.1:\d+ up/);
    assert.match(r.out, /'replica_lag_bytes'=0B/);

    // Wrong password: CRITICAL with the server's answer; bad arguments: UNKNOWN with the usage.
    r = await plugin(['-p', String(primary.port), '-P', 'wrong']);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^REDIS CRITICAL - WRONGPASS/);
    r = await plugin(['-p', 'x']);
    assert.equal(r.code, 3);
    assert.match(r.out, /^REDIS UNKNOWN - -p: not a port: x\nUsage: check_redis/);
    r = await plugin(['-w', '10:5']);
    assert.equal(r.code, 3);
    assert.doesNotMatch(r.out, /\s+at .*:\d+:\d+/);

    // Lag: the replica paused, the primary sees its last ack age; a paused server: own timeout.
    process.kill(replica.pid, 'SIGSTOP');
    try {
      await sleep(2500);
      r = await plugin(args(primary.port, '--lag-warning', '1', '--lag-critical', '5'));
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /replica lag [2-4]s/);
      r = await plugin(args(replica.port, '-t', '1'));
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /^REDIS UNKNOWN - no answer from 127\.0\.0\.1:\d+ within 1s \(-t\)/);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }

    // A broken link: its primary stopped.
    await primary.stop();
    await sleep(1500);
    r = await plugin(args(replica.port, '--link-down-warning', '0', '--link-down-critical', '60'));
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /link to 127\.0\.0\.1:\d+ down for \d+s/);
    r = await plugin(args(replica.port));
    assert.equal(r.code, 2, 'down with no range given: CRITICAL');
    r = await plugin(args(primary.port));
    assert.equal(r.code, 2, r.out);
    assert.match(
      r.out,
      /^REDIS CRITICAL - cannot connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  } finally {
    await replica?.stop();
    await primary.stop();
  }
});

test('check_redis range forms against a live server: every form decides on a real figure; memory % with maxmemory set', async () => {
  const server = await startRedis(['--requirepass', PW, '--maxmemory', '1gb']);
  try {
    // evicted_keys is 0 on this server: each form judges that live figure.
    const forms: [string, string, number][] = [
      ['--evicted-warning', '10', 0], // 0 within 0..10
      ['--evicted-warning', '1:', 1], // 0 below 1
      ['--evicted-critical', '~:-1', 2], // 0 above -1
      ['--evicted-critical', '-5:5', 0],
      ['--evicted-warning', '@0:5', 1], // @: alert inside 0..5
      ['--evicted-warning', '@1:5', 0],
    ];
    for (const [option, range, code] of forms) {
      const r = await plugin(args(server.port, option, range));
      assert.equal(r.code, code, `${option} ${range}: ${r.out}`);
      assert.match(
        r.out,
        new RegExp(`'evicted_keys'=0c;[^ ]*${range.replace(/[~@:.-]/g, '\\$&')}`),
      );
    }
    // maxmemory set: the percentage is judged and the perfdata carries the maximum.
    let r = await plugin(args(server.port, '--memory-warning', '50', '--memory-critical', '90'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /'used_memory'=\d+B;;;0;1073741824 /);
    assert.match(r.out, /'memory_used_pct'=[\d.]+%;50;90;0;100/);
    r = await plugin(args(server.port, '--memory-critical', '~:0.0001'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^REDIS CRITICAL - memory [\d.]+% of maxmemory/);
  } finally {
    await server.stop();
  }
});

/** A CA and a server certificate for 127.0.0.1 (openssl), in dir. */
function makeCerts(dir: string, name: string): { ca: string; cert: string; key: string } {
  const f = (x: string): string => path.join(dir, `${name}-${x}`);
  const run = (...a: string[]): void => {
    const r = spawnSync('openssl', a, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}-ca`,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('ext'),
    '-out',
    f('server.crt'),
  );
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

test('check_redis --tls against a real TLS port: OK with the right CA, CRITICAL with another or without TLS', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-tls-'));
  const good = makeCerts(dir, 'good');
  const other = makeCerts(dir, 'other');
  const tlsPort = await freePort();
  const redis = await startRedis([
    '--requirepass',
    PW,
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    good.cert,
    '--tls-key-file',
    good.key,
    '--tls-ca-cert-file',
    good.ca,
    '--tls-auth-clients',
    'no',
  ]);
  try {
    let r = await plugin(args(tlsPort, '--tls', '--cacert', good.ca, '-t', '5'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^REDIS OK - primary/);
    r = await plugin(args(tlsPort, '--tls', '--cacert', other.ca, '-t', '5'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /^REDIS CRITICAL - .*(certificate|self.signed|verify)/i);
    r = await plugin(args(tlsPort, '-t', '2'));
    assert.notEqual(r.code, 0, `plain text to a TLS port: ${r.out}`);
    assert.doesNotMatch(r.out, /at .*\.js:\d+/, 'never a stack trace');
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check_redis with the sentinels: OK on the primary, split brain on a node that made itself master', async () => {
  const ep = await freePort();
  await withCluster(
    'check-redis',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const { redis01, redis02, sentinels } = c.ports;
      const { sentinelPassword } = JSON.parse(
        readFileSync(path.join(c.dir, '.redis-ha/secrets.json'), 'utf8'),
      ) as { sentinelPassword: string };
      const sent = [
        '--sentinels',
        sentinels.map((p) => `127.0.0.1:${p}`).join(','),
        '--sentinel-password',
        sentinelPassword,
      ];
      // The checks log in as the monitor user (ACL users are the default).
      const mon = c.auth('monitor');
      const pw = ['--user', mon.username ?? 'default', '-P', mon.password];
      let r = await plugin(['-p', String(redis01), ...pw, '--role', 'primary', ...sent]);
      assert.equal(r.code, 0, r.out);
      const viaCliR = await cli(['check', 'redis', '-p', String(redis01), ...pw, ...sent], c.dir);
      assert.equal(viaCliR.code, 0, viaCliR.stdout + viaCliR.stderr);
      assert.match(viaCliR.stdout, /^REDIS OK/);
      r = await plugin(['-p', String(redis02), ...pw, ...sent]);
      assert.equal(r.code, 0, r.out);
      // check_redis_sentinel: every sentinel, all agreeing; then one that does not know the master.
      const SENTINEL_PLUGIN = path.resolve(path.dirname(PLUGIN), 'check_redis_sentinel');
      const others = sentinels
        .slice(1)
        .map((p) => `127.0.0.1:${p}`)
        .join(',');
      const sp = ['-P', sentinelPassword];
      let s = await plugin(
        [
          '-p',
          String(sentinels[0]),
          ...sp,
          '--all',
          others,
          '--sentinels-critical',
          '3:',
          '--replicas-critical',
          '1:',
        ],
        20_000,
        SENTINEL_PLUGIN,
      );
      assert.equal(s.code, 0, s.out);
      assert.match(
        s.out,
        /^SENTINEL OK - primary 127\.0\.0\.1:\d+ \(master\); quorum: OK 3 usable Sentinels/,
      );
      assert.match(s.out, /'sentinels'=3;;3:;0 'healthy_replicas'=1;;1:;0/);
      s = await plugin(
        ['-p', String(sentinels[0]), ...sp, '--master-name', 'nope'],
        20_000,
        SENTINEL_PLUGIN,
      );
      assert.equal(s.code, 2, s.out);
      s = await plugin(['-p', String(sentinels[0]), '-P', 'wrong'], 20_000, SENTINEL_PLUGIN);
      assert.equal(s.code, 2, s.out);
      const viaCli = await cli(['check', 'sentinel', '-p', String(sentinels[1]), ...sp], c.dir);
      assert.equal(viaCli.code, 0, viaCli.stdout + viaCli.stderr);

      // check endpoint: it reaches the node the sentinels name; a replica's port in its place does not.
      let e = await cli(['check', 'endpoint', '-p', String(ep), ...pw, ...sent], c.dir);
      assert.equal(e.code, 0, e.stdout + e.stderr);
      assert.match(e.stdout, /^ENDPOINT OK - reaches 127\.0\.0\.1:\d+, named by 3\/3 sentinels/);
      e = await cli(['check', 'endpoint', '-p', String(redis02), ...pw, ...sent], c.dir);
      assert.equal(e.code, 2, e.stdout);
      assert.match(e.stdout, /but the sentinels name 127\.0\.0\.1:\d+/);
      e = await cli(['check', 'endpoint', '-p', String(ep), ...pw], c.dir);
      assert.equal(e.code, 3, 'no --sentinels: UNKNOWN');

      // --via the exporter: the check runs there. With only bash on PATH the wrapper cannot run
      // Node itself, so an answer proves the exporter ran it; the password file is read here.
      const via = ['--via', `127.0.0.1:${c.ports.exporter}`];
      const onlyBash = mkdtempSync(path.join(c.dir, 'bin-'));
      symlinkSync('/bin/bash', path.join(onlyBash, 'bash'));
      const noNode = { ...process.env, PATH: onlyBash };
      const pwFile = path.join(c.dir, 'redis-password');
      writeFileSync(pwFile, `${mon.password}\n`, { mode: 0o600 });
      r = await plugin(
        [
          ...via,
          '-p',
          String(redis01),
          '--user',
          mon.username ?? 'default',
          '--password-file',
          pwFile,
          '--role',
          'primary',
          ...sent,
        ],
        20_000,
        PLUGIN,
        noNode,
      );
      assert.equal(r.code, 0, r.out);
      assert.match(
        r.out,
        /^REDIS OK - primary \(Redis [\d.]+\) responding in [\d.]+ms \| 'response_time'=/,
      );
      r = await plugin([...via, '-p', String(redis01), '-P', 'wrong'], 20_000, PLUGIN, noNode);
      assert.equal(r.code, 2, r.out);
      r = await plugin([...via, '--bogus'], 20_000, PLUGIN, noNode);
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /^REDIS UNKNOWN - Unknown option '--bogus'\nUsage: check_redis/);
      s = await plugin(
        [...via, '-p', String(sentinels[0]), ...sp, '--all', others],
        20_000,
        SENTINEL_PLUGIN,
        noNode,
      );
      assert.equal(s.code, 0, s.out);
      // Declined (not a member of the topology, or TLS material) or no exporter: run here instead.
      for (const v of [via, ['--via', `127.0.0.1:${await freePort()}`]]) {
        r = await plugin([...v, '-H', 'localhost', '-p', String(redis01), ...pw]);
        assert.equal(r.code, 0, r.out);
      }
      r = await plugin(
        [...via, '-H', 'localhost', '-p', String(redis01), ...pw],
        20_000,
        PLUGIN,
        noNode,
      );
      assert.equal(r.code, 127, 'declined, and no node to run it here');

      await c.client(redis02).call('REPLICAOF', 'NO', 'ONE');
      r = await plugin(['-p', String(redis02), ...pw, ...sent]);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /split brain: says primary but 3\/3 sentinels name 127\.0\.0\.1:\d+/);
      r = await plugin([...via, '-p', String(redis02), ...pw, ...sent], 20_000, PLUGIN, noNode);
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /split brain/);
    },
  );
});
