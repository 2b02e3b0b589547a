import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/state/ports.js';
import { CLI, withCluster, type TestCluster, killDrillAndRejoin } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';
import { boundTopology } from '../helpers/bound.js';
import { ensureTls, generateCa, hostTlsFiles } from '../../src/state/tls.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';

const PLUGINS = path.resolve(path.dirname(CLI), '../../../bin');

function tlsClient(c: TestCluster, port: number, who: 'app' | 'admin' = 'app'): Redis {
  const tls = path.join(c.dir, '.redis-ha/tls');
  const r = new Redis({
    host: '127.0.0.1',
    port,
    ...c.auth(who),
    tls: {
      ca: readFileSync(path.join(tls, 'ca.crt')),
      cert: readFileSync(path.join(tls, 'redis-ha.crt')),
      key: readFileSync(path.join(tls, 'redis-ha.key')),
    },
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}

async function tlsCall(c: TestCluster, port: number, cmd: string[]): Promise<string> {
  const r = tlsClient(c, port);
  try {
    await r.connect();
    const [name, ...args] = cmd;
    return String(await r.call(name!, ...args));
  } finally {
    r.disconnect();
  }
}

/** redis-cli without TLS, as a stray client would try: never a reply. */
function plainCli(port: number, password: string): string {
  const r = spawnSync(
    'redis-cli',
    ['-p', String(port), '--no-auth-warning', '--user', 'app', '-a', password, 'PING'],
    { encoding: 'utf8', timeout: 5000 },
  );
  return r.stdout + r.stderr;
}

test('tls: true: TLS only on every port; up, endpoint passthrough, checks, exporter, drill and failover all over TLS', async () => {
  assert.ok(
    ensureDebianTool('/usr/bin/openssl', 'openssl'),
    'openssl is needed to issue certificates',
  );
  const ep = await freePort();
  await withCluster(
    'tls',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }\ntls: true` },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /TLS only \(plain ports off\)/);
      const tls = path.join(c.dir, '.redis-ha/tls');
      for (const key of ['ca.key', 'redis-ha.key', 'hosts/127.0.0.1.key'])
        assert.equal(statSync(path.join(tls, key)).mode & 0o777, 0o600, key);
      const conf = readFileSync(path.join(c.dir, '.redis-ha/nodes/redis01/redis.conf'), 'utf8');
      assert.match(conf, /^port 0$/m);
      assert.match(conf, new RegExp(`^tls-port ${c.ports.redis01}$`, 'm'));

      // Plain text is refused on every port: nodes, sentinels, the endpoint.
      const app = c.auth('app').password;
      for (const port of [c.ports.redis01, c.ports.redis02, ...c.ports.sentinels, ep])
        assert.doesNotMatch(plainCli(port, app), /PONG/, `plain text answered on ${port}`);
      // TLS (the CA redis-ha generated) works, directly and through the endpoint (passthrough).
      assert.equal(await tlsCall(c, c.ports.redis01, ['SET', 'k', 'v']), 'OK');
      assert.equal(await tlsCall(c, ep, ['GET', 'k']), 'v');
      const cli = spawnSync(
        'redis-cli',
        [
          '--tls',
          '--cacert',
          path.join(tls, 'ca.crt'),
          '-p',
          String(ep),
          '--user',
          'app',
          'GET',
          'k',
        ],
        { encoding: 'utf8', env: { ...process.env, REDISCLI_AUTH: app }, timeout: 5000 },
      );
      assert.equal(cli.stdout.trim(), 'v', cli.stderr);

      // Checks: both plugins over TLS, run directly and by the exporter (--via).
      const mon = c.auth('monitor');
      const sp = (
        JSON.parse(readFileSync(path.join(c.dir, '.redis-ha/secrets.json'), 'utf8')) as {
          sentinelPassword: string;
        }
      ).sentinelPassword;
      const ca = ['--tls', '--cacert', path.join(tls, 'ca.crt')];
      const sentinels = c.ports.sentinels.map((p) => `127.0.0.1:${p}`).join(',');
      for (const via of [[], ['--via', `127.0.0.1:${c.ports.exporter}`]]) {
        const r = spawnSync(
          path.join(PLUGINS, 'check_redis'),
          [
            ...via,
            ...ca,
            '-p',
            String(c.ports.redis01),
            '--user',
            'monitor',
            '-P',
            mon.password,
            '--role',
            'primary',
            '--sentinels',
            sentinels,
            '--sentinel-password',
            sp,
          ],
          { encoding: 'utf8', timeout: 10_000 },
        );
        assert.equal(r.status, 0, `check_redis ${via.join(' ')}: ${r.stdout}${r.stderr}`);
        const s = spawnSync(
          path.join(PLUGINS, 'check_redis_sentinel'),
          [...via, ...ca, '-p', String(c.ports.sentinels[0]), '-P', sp],
          { encoding: 'utf8', timeout: 10_000 },
        );
        assert.equal(s.status, 0, `check_redis_sentinel ${via.join(' ')}: ${s.stdout}${s.stderr}`);
      }
      const noTls = spawnSync(
        path.join(PLUGINS, 'check_redis'),
        ['-p', String(c.ports.redis01), '--user', 'monitor', '-P', mon.password, '-t', '3'],
        { encoding: 'utf8', timeout: 10_000 },
      );
      assert.notEqual(noTls.status, 0, 'a plain-text check must not pass');

      // The exporter reaches every member over TLS.
      const metrics = await c.metrics();
      for (const m of ['node="redis01"', 'node="redis02"', 'sentinel="s1"', 'sentinel="s3"'])
        assert.match(metrics, new RegExp(`^redis_up\\{${m}\\} 1$`, 'm'), m);

      // Failover and rejoin with TLS replication and sentinel links; writes through the endpoint.
      await killDrillAndRejoin(c, 'over TLS');
      assert.equal(await tlsCall(c, ep, ['GET', 'k']), 'v', 'the data survived');
    },
  );
});

test('tls.ca: host certificates signed by the user CA, issued once, re-issued when their names change', () => {
  assert.ok(
    ensureDebianTool('/usr/bin/openssl', 'openssl'),
    'openssl is needed to issue certificates',
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-ca-'));
  try {
    const ca = { cert: path.join(dir, 'my-ca.crt'), key: path.join(dir, 'my-ca.key') };
    generateCa(ca.cert, ca.key, 'my CA', 2);
    const base = boundTopology({ ...SEED_TOPOLOGY, stateDir: dir, tls: { ca } }, 7000);
    ensureTls(base);
    const host = base.nodes[0]!.host;
    const f = hostTlsFiles(base, host);
    assert.equal(f.caFile, ca.cert);
    const verify = spawnSync('openssl', ['verify', '-CAfile', ca.cert, f.certFile], {
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.ok(!existsSync(path.join(dir, 'tls/ca.key')), 'no CA generated when one is given');
    const first = statSync(f.certFile).mtimeMs;
    ensureTls(base);
    assert.equal(statSync(f.certFile).mtimeMs, first, 'nothing re-issued');
    const moved = boundTopology(
      {
        ...SEED_TOPOLOGY,
        stateDir: dir,
        tls: { ca },
        endpoint: { mode: 'vip', address: '10.0.0.100/24', interface: 'eth0' },
      },
      7000,
    );
    ensureTls(moved);
    const text = spawnSync(
      'openssl',
      ['x509', '-noout', '-ext', 'subjectAltName', '-in', f.certFile],
      {
        encoding: 'utf8',
      },
    ).stdout;
    assert.match(text, /IP Address:10\.0\.0\.100/, 're-issued with the VIP');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
