import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAll } from '../../src/render/render-all.js';
import { StateDir } from '../../src/state/state-dir.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { designatedPrimary, type BoundTopology } from '../../src/topology/model.js';
import { boundTopology } from '../helpers/bound.js';
import { generatePassword } from '../../src/state/secrets.js';
import { subjectAltNames } from '../../src/state/tls.js';
import { createHash } from 'node:crypto';
import { FAKE_SECRETS } from '../helpers/fixtures.js';

const sha = (pw: string): string => createHash('sha256').update(pw).digest('hex');

function bound(input: unknown = SEED_TOPOLOGY): BoundTopology {
  const t = boundTopology(input, 7000);
  return {
    ...t,
    sentinels: t.sentinels.map((x, i) => ({ ...x, port: 7000 + t.nodes.length + i })),
  };
}

const secrets = FAKE_SECRETS;
const ids = {
  'sentinel-redis01': 'a'.repeat(40),
  'sentinel-redis02': 'b'.repeat(40),
  'sentinel-supervision': 'c'.repeat(40),
};

function render(t = bound()) {
  const files = renderAll(t, {
    root: new StateDir('/srv/ha'),
    secrets,
    primary: designatedPrimary(t),
    sentinelIds: ids,
    gatePriority: true,
  });
  const get = (m: string): string =>
    files.find((f) => f.member === m)?.content ?? assert.fail(`no file for ${m}`);
  return { files, get };
}

test('one redis.conf per node and one sentinel.conf per sentinel, under the state dir', () => {
  const { files } = render();
  assert.deepEqual(
    files.map((f) => f.path),
    [
      '/srv/ha/nodes/redis01/redis.conf',
      '/srv/ha/nodes/redis02/redis.conf',
      '/srv/ha/sentinels/sentinel-redis01/sentinel.conf',
      '/srv/ha/sentinels/sentinel-redis02/sentinel.conf',
      '/srv/ha/sentinels/sentinel-supervision/sentinel.conf',
    ],
  );
});

const PASSWORD_MODE = { ...SEED_TOPOLOGY, auth: { mode: 'password' } };

test('redis.conf: the seed settings, password auth, unique dirs, foreground', () => {
  const conf = render(bound(PASSWORD_MODE)).get('redis01');
  for (const line of [
    'bind 127.0.0.1',
    'port 7000',
    'daemonize no',
    'dir "/srv/ha/nodes/redis01"',
    'pidfile "/srv/ha/nodes/redis01/redis.pid"',
    'logfile "/srv/ha/nodes/redis01/redis.log"',
    'save 60 1',
    'appendonly no',
    'maxmemory 536870912',
    'maxmemory-policy allkeys-lru',
    `user default on #${sha('r'.repeat(43))} ~* &* +@all`,
    `masterauth "${'r'.repeat(43)}"`,
    'repl-diskless-sync-delay 0',
    'min-replicas-to-write 1',
    'min-replicas-max-lag 3',
    'replica-priority 100',
  ]) {
    assert.ok(conf.split('\n').includes(line), `missing line: ${line}`);
  }
  assert.ok(!/^replicaof/m.test(conf), 'the primary has no replicaof');
  assert.match(conf, /^# .*Rendered by redis-ha/m);
});

test('redis.conf of a replica: replicaof the primary, promotion gated until synced', () => {
  const conf = render().get('redis02');
  assert.match(conf, /^replicaof 127\.0\.0\.1 7000$/m);
  assert.match(conf, /^replica-priority 0$/m);
  assert.match(conf, /raises\n# this to 100 once master_link_status is up/);
  assert.match(conf, /^dir "\/srv\/ha\/nodes\/redis02"$/m);
});

test('persistence modes render save/appendonly consistently', () => {
  const seed = SEED_TOPOLOGY as Record<string, unknown>;
  const none = render(bound({ ...seed, persistence: { mode: 'none' } })).get('redis01');
  assert.match(none, /^save ""$/m);
  assert.match(none, /^appendonly no$/m);
  const aof = render(bound({ ...seed, persistence: { mode: 'aof', appendfsync: 'always' } })).get(
    'redis01',
  );
  assert.match(aof, /^appendonly yes$/m);
  assert.match(aof, /^appendfsync always$/m);
  assert.match(aof, /^save ""$/m);
});

test('several replicas batch their sync with a short diskless delay', () => {
  const seed = SEED_TOPOLOGY as { nodes: Record<string, unknown> };
  const conf = render(
    bound({ ...seed, nodes: { ...seed.nodes, redis03: { role: 'replica' } } }),
  ).get('redis01');
  assert.match(conf, /^repl-diskless-sync-delay 1$/m);
});

test('sentinel.conf: monitor, quorum, auth-pass, own password, timings, peers pre-declared', () => {
  const conf = render(bound(PASSWORD_MODE)).get('sentinel-redis02');
  for (const line of [
    'port 7003',
    `sentinel myid ${'b'.repeat(40)}`,
    'sentinel monitor mymaster 127.0.0.1 7000 2',
    `sentinel auth-pass mymaster "${'r'.repeat(43)}"`,
    `user default on #${sha('s'.repeat(43))} ~* &* +@all`,
    `sentinel sentinel-pass "${'s'.repeat(43)}"`,
    'sentinel down-after-milliseconds mymaster 2000',
    'sentinel failover-timeout mymaster 10000',
    'sentinel parallel-syncs mymaster 1',
    'sentinel known-replica mymaster 127.0.0.1 7001',
    `sentinel known-sentinel mymaster 127.0.0.1 7002 ${'a'.repeat(40)}`,
    `sentinel known-sentinel mymaster 127.0.0.1 7004 ${'c'.repeat(40)}`,
    'sentinel deny-scripts-reconfig yes',
  ]) {
    assert.ok(conf.split('\n').includes(line), `missing line: ${line}`);
  }
  assert.ok(
    !conf.includes(`known-sentinel mymaster 127.0.0.1 7003`),
    'a sentinel does not declare itself',
  );
});

test('values with quotes or backslashes are escaped for Redis', async () => {
  const { quote } = await import('../../src/render/common.js');
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
});

test('generated passwords: >= 32 chars, CSPRNG, no quoting needed, all different', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const p = generatePassword();
    assert.match(p, /^[A-Za-z0-9_-]{43}$/);
    seen.add(p);
  }
  assert.equal(seen.size, 100);
});

test('auth.mode acl: default user off, one user per role with its rules, SHA-256 passwords, masteruser', () => {
  const { get } = render(
    bound({ ...SEED_TOPOLOGY, auth: { mode: 'acl', appCommands: ['+keys'] } }),
  );
  const conf = get('redis02');
  assert.match(conf, /^user default off$/m);
  assert.match(
    conf,
    /^user app on #[0-9a-f]{64} ~\* &\* \+@all -@admin -@dangerous \+info \+client\|setname \+client\|getname \+client\|id \+client\|info \+hello -acl \+acl\|whoami \+keys$/m,
  );
  assert.match(conf, /^user replication on #[0-9a-f]{64} \+psync \+replconf \+ping$/m);
  assert.match(
    conf,
    /^user sentinel on #[0-9a-f]{64} allchannels \+multi \+slaveof \+ping \+exec /m,
  );
  assert.match(conf, /^user monitor on #[0-9a-f]{64} \+ping \+info \+role /m);
  assert.doesNotMatch(conf, /config\|get/, 'monitor cannot read requirepass/masterauth');
  assert.match(conf, /^masteruser replication$/m);
  assert.ok(conf.includes(`masterauth "${'l'.repeat(43)}"`));
  assert.doesNotMatch(conf, /^requirepass/m);
  for (const pw of ['a', 'p', 'e', 'm'])
    assert.ok(!conf.includes(pw.repeat(43)), 'no clear password');
  const s = get('sentinel-redis01');
  assert.match(s, /^sentinel auth-user mymaster sentinel$/m);
  assert.ok(s.includes(`sentinel auth-pass mymaster "${'e'.repeat(43)}"`));
  const plain = render(bound(PASSWORD_MODE)).get('redis01');
  assert.ok(
    plain.includes(`user default on #${sha('r'.repeat(43))} ~* &* +@all`),
    'password mode: one password (hashed) for the default user',
  );
  assert.doesNotMatch(plain, /^requirepass/m, 'never in clear');
});

test('tls: TLS only (plain port 0), each member its host certificate, TLS replication and sentinel links', () => {
  const t = bound({ ...SEED_TOPOLOGY, stateDir: '/srv/ha', tls: true });
  const { get } = render(t);
  const conf = get('redis02');
  assert.match(conf, /^port 0$/m);
  assert.match(conf, /^tls-port 7001$/m);
  assert.match(conf, /^tls-replication yes$/m);
  assert.match(conf, /^tls-auth-clients optional$/m);
  const host = t.nodes[1]!.host;
  assert.ok(conf.includes(`tls-cert-file "/srv/ha/tls/hosts/${host}.crt"`), conf);
  assert.ok(conf.includes('tls-ca-cert-file "/srv/ha/tls/ca.crt"'));
  const s = get('sentinel-supervision');
  assert.match(s, /^port 0$/m);
  assert.match(s, /^tls-port 700\d$/m);
  assert.match(s, /^tls-replication yes$/m, 'sentinel links to nodes and peers use TLS');
  assert.match(get('redis01'), /^port 0$/m);
  assert.doesNotMatch(render().get('redis01'), /tls-|^port 0$/m, 'no TLS unless asked');
});

test('tls: host certificates name the host, loopback and, on data hosts, the endpoint and VIP', () => {
  const t = bound({
    ...SEED_TOPOLOGY,
    tls: true,
    endpoint: { mode: 'vip', address: '10.0.0.100/24', interface: 'eth0' },
  });
  const node = t.nodes[0]!.host;
  const sans = subjectAltNames(t, node);
  assert.ok(sans.includes('IP:10.0.0.100'), sans.join(','));
  assert.ok(sans.includes('IP:127.0.0.1') && sans.includes('DNS:localhost'));
  const sentinelOnly = subjectAltNames(t, '10.9.9.9');
  assert.ok(!sentinelOnly.includes('IP:10.0.0.100'));
});

test('during secrets rotate: both passwords accepted (two hashes), the new one used to authenticate', () => {
  const prev = {
    redisPassword: 'R'.repeat(43),
    sentinelPassword: 'S'.repeat(43),
    dashboardToken: 'T'.repeat(43),
    users: { ...secrets.users, app: 'P'.repeat(43), replication: 'L'.repeat(43) },
  };
  const t = bound();
  const files = renderAll(t, {
    root: new StateDir('/srv/ha'),
    secrets: { ...secrets, previous: prev },
    primary: designatedPrimary(t),
    sentinelIds: ids,
    gatePriority: true,
  });
  const conf = files.find((f) => f.member === 'redis02')!.content;
  assert.ok(conf.includes(`user app on #${sha('p'.repeat(43))} #${sha('P'.repeat(43))} ~*`));
  assert.ok(conf.includes(`user admin on #${sha('a'.repeat(43))} ~*`), 'unchanged: one hash');
  assert.ok(conf.includes(`masterauth "${'l'.repeat(43)}"`), 'replicas authenticate with the new');
  const sc = files.find((f) => f.member === 'sentinel-redis01')!.content;
  assert.ok(sc.includes(`user default on #${sha('s'.repeat(43))} #${sha('S'.repeat(43))} ~*`));
  assert.ok(sc.includes(`sentinel sentinel-pass "${'s'.repeat(43)}"`));
});
