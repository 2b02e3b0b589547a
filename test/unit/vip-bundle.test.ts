import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decideVip } from '../../src/endpoint/vip-decide.js';
import {
  analyze,
  type Addr,
  type WatchInput,
  type WatchState,
} from '../../src/view/watch-state.js';
import { hostBundle, monitoringHost } from '../../src/render/bundle/host-bundle.js';
import { renderInstallScript } from '../../src/render/bundle/install-script.js';
import { writeHostBundles } from '../../src/render/bundle/write-bundles.js';
import { parseUnit } from '../../src/lab/lab-init.js';
import { FAKE_SECRETS, fold, poll, role } from '../helpers/fixtures.js';
import { LAB_TOPOLOGY, LAB_SOURCE } from '../../src/topology/seed.js';
import { resolveTopology } from '../../src/topology/load.js';
import type { BoundTopology, NodeSpec } from '../../src/topology/model.js';

const A: Addr = { host: '10.208.0.11', port: 6379 };
const B: Addr = { host: '10.208.0.12', port: 6379 };
const decide = (state: WatchState, o: { holding: boolean; now: number; dead?: boolean }) =>
  decideVip({
    state,
    verdict: analyze(state),
    local: A,
    holding: o.holding,
    now: o.now,
    fenceTimeoutMs: 1000,
    localDead: o.dead ?? false,
  });

const healthyAt = (at: number): WatchInput[] => [
  poll('s1', A, { at }),
  poll('s2', A, { at }),
  poll('s3', A, { at }),
  role(A, 'master'),
  role(B, 'slave'),
];

test('the VIP is taken only when a majority names the local node and ROLE confirms it', () => {
  assert.equal(decide(fold(healthyAt(1000)), { holding: false, now: 1100 }).hold, true);
  const unconfirmed = fold([
    poll('s1', A, { at: 1000 }),
    poll('s2', A, { at: 1000 }),
    poll('s3', A, { at: 1000 }),
  ]);
  assert.equal(decide(unconfirmed, { holding: false, now: 1100 }).hold, false);
  const minority = fold([
    poll('s1', A, { at: 1000 }),
    poll('s2', B, { at: 1000 }),
    poll('s3', B, { at: 1000 }),
    role(A, 'master'),
  ]);
  assert.equal(decide(minority, { holding: true, now: 1100 }).hold, false);
});

test('fencing: a holder whose sentinel answers are older than the fence timeout releases', () => {
  const s = fold(healthyAt(1000));
  assert.equal(decide(s, { holding: true, now: 1700 }).hold, true);
  // Decided 250 ms before the fence timeout: the address is gone within it.
  const d = decide(s, { holding: true, now: 1800 });
  assert.equal(d.hold, false);
  assert.match(
    d.reason,
    /fenced: 0 sentinels answered in the last 750ms, 2 needed \(fence timeout 1000ms\)/,
  );
  // Only its own host's sentinel still answers (a partition): fenced too.
  const cut = fold([
    ...healthyAt(1000),
    { type: 'unreachable', sentinel: 's2', at: 1500 },
    { type: 'unreachable', sentinel: 's3', at: 1500 },
    poll('s1', A, { at: 1600 }),
  ]);
  assert.equal(decide(cut, { holding: true, now: 1700 }).hold, false);
});

test('released at once when the local process is gone or another node is confirmed', () => {
  assert.equal(decide(fold(healthyAt(1000)), { holding: true, now: 1100, dead: true }).hold, false);
  const moved = fold([
    poll('s1', B, { at: 1000 }),
    poll('s2', B, { at: 1000 }),
    poll('s3', B, { at: 1000 }),
    role(B, 'master'),
    role(A, 'master'),
  ]);
  const d = decide(moved, { holding: true, now: 1100 });
  assert.equal(d.hold, false);
  assert.match(d.reason, /the primary is 10\.208\.0\.12:6379/);
});

function labBound(): BoundTopology {
  const t = resolveTopology(LAB_TOPOLOGY, LAB_SOURCE, tmpdir());
  return t as BoundTopology; // every port of the lab topology is explicit
}

const secrets = FAKE_SECRETS;

function ctx(t: BoundTopology) {
  return {
    secrets,
    primary: t.nodes[0] as NodeSpec<number>,
    sentinelIds: Object.fromEntries(t.sentinels.map((s, i) => [s.name, String(i).repeat(40)])),
    topologyYaml: 'masterName: mymaster\n',
    cli: Buffer.from('// cli'),
    plugins: {
      checkRedis: Buffer.from('#!'),
      checkSentinel: Buffer.from('#!'),
      wrapper: Buffer.from('#!'),
    },
    dashboard: { 'index.html': Buffer.from('<html>') },
  };
}

test('host bundles: each host gets its members, units and only the secrets it needs', () => {
  const t = labBound();
  assert.equal(monitoringHost(t)?.name, 'supervision');
  const r1 = hostBundle(t, t.hosts[0]!, ctx(t));
  const sup = hostBundle(t, t.hosts[2]!, ctx(t));
  assert.deepEqual(r1.startOrder, [
    'redis-ha-thp.service',
    'redis-ha-node-redis01.service',
    'redis-ha-sentinel-sentinel-redis01.service',
    'redis-ha-agent.service',
  ]);
  assert.deepEqual(sup.startOrder, [
    'redis-ha-thp.service',
    'redis-ha-sentinel-sentinel-supervision.service',
    'redis-ha-exporter.service',
  ]);
  assert.deepEqual(r1.secrets, ['sentinelPassword', 'users.admin', 'users.monitor']);
  assert.deepEqual(sup.secrets, ['sentinelPassword', 'users.monitor']);
  const all = (b: typeof r1): string => b.files.map((f) => f.content.toString()).join('\n');
  // The app's and the replication user's passwords never reach the supervision host.
  assert.ok(!all(sup).includes('p'.repeat(43)));
  assert.ok(!all(sup).includes('l'.repeat(43)));
  // Nor the app's anywhere (servers hold its hash only).
  assert.ok(!all(r1).includes('p'.repeat(43)));
  const conf = r1.files.find((f) => f.path === '/etc/redis-ha/nodes/redis01/redis.conf');
  assert.equal(conf?.live, '/var/lib/redis-ha/nodes/redis01/redis.conf');
  assert.match(String(conf?.content), /^bind 10\.208\.0\.11 10\.208\.0\.100$/m);
  const sysctl = String(r1.files.find((f) => f.path === '/etc/sysctl.d/90-redis-ha.conf')?.content);
  for (const k of [
    'vm.overcommit_memory = 1',
    'net.core.somaxconn',
    'net.ipv4.conf.eth0.arp_ignore = 1',
    'net.ipv4.conf.eth0.arp_announce = 2',
    'net.ipv4.ip_nonlocal_bind = 1',
  ])
    assert.ok(sysctl.includes(k), k);
  const sentinel = String(r1.files.find((f) => f.path.endsWith('sentinel.conf'))?.content);
  assert.match(
    sentinel,
    /sentinel client-reconfig-script mymaster \/usr\/local\/lib\/redis-ha\/reconfig-hook/,
  );
  assert.ok(sup.files.some((f) => f.path === '/etc/nagios4/conf.d/redis-ha.cfg'));
  assert.ok(!r1.files.some((f) => f.path.includes('nagios')));
  const unit = String(
    r1.files.find((f) => f.path.endsWith('redis-ha-node-redis01.service'))?.content,
  );
  assert.match(unit, /LimitNOFILE=20000/);
  assert.match(unit, /RestartSec=6s/); // 3 x down-after: never back as a primary before the failover
  assert.match(renderInstallScript(r1), /REDIS_HA_LAB/);
});

test('written bundles: secrets 0600, units pass systemd-analyze verify, install.sh is valid sh', (t) => {
  const tb = labBound();
  const out = mkdtempSync(path.join(tmpdir(), 'redis-ha-bundles-'));
  try {
    writeHostBundles(tb, ctx(tb), out);
    const secretsFile = path.join(out, 'redis01/files/var/lib/redis-ha/secrets.json');
    assert.equal(statSync(secretsFile).mode & 0o777, 0o600);
    const scoped = JSON.parse(readFileSync(secretsFile, 'utf8')) as {
      withheld: string[];
      users: Record<string, string>;
    };
    assert.equal(scoped.users.app, '');
    assert.ok(scoped.withheld.includes('users.app'));
    for (const h of ['redis01', 'supervision'])
      assert.equal(spawnSync('sh', ['-n', path.join(out, h, 'install.sh')]).status, 0);
    if (spawnSync('systemd-analyze', ['--version']).status !== 0)
      return t.skip('no systemd-analyze');
    for (const h of ['redis01', 'redis02', 'supervision']) {
      const dir = path.join(out, h, 'files/etc/systemd/system');
      const units = readdirUnits(dir);
      const r = spawnSync('systemd-analyze', ['verify', ...units], { cwd: dir, encoding: 'utf8' });
      // Only our units' own problems count (verify also loads the host's dependencies).
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('redis-ha'));
      assert.deepEqual(ours, [], `${h}: ${ours.join('; ')}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

function readdirUnits(dir: string): string[] {
  return spawnSync('ls', [dir], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((f) => f.endsWith('.service'))
    .map((f) => path.join(dir, f));
}

test('the lab init reads what it runs from a unit', () => {
  assert.deepEqual(
    parseUnit(
      '[Service]\nExecStart=/usr/bin/redis-server /x/redis.conf\nRestart=on-failure\nRestartSec=6s\n',
    ),
    { argv: ['/usr/bin/redis-server', '/x/redis.conf'], restart: 'on-failure', restartSec: 6 },
  );
});

test('bundles: the proxy, the dashboard and the exporter where configured, with the secrets they use', () => {
  const t = resolveTopology(
    {
      ...LAB_TOPOLOGY,
      endpoint: { mode: 'proxy', listen: '10.208.0.13:6390' },
      dashboard: { enabled: true, listen: '10.208.0.13:9122' },
    },
    LAB_SOURCE,
    tmpdir(),
  ) as BoundTopology;
  const sup = hostBundle(t, t.hosts[2]!, ctx(t));
  assert.deepEqual(sup.startOrder.slice(-3), [
    'redis-ha-exporter.service',
    'redis-ha-dashboard.service',
    'redis-ha-proxy.service',
  ]);
  assert.deepEqual(sup.secrets, [
    'dashboardToken',
    'sentinelPassword',
    'users.app',
    'users.monitor',
  ]);
  assert.ok(sup.files.some((f) => f.path === '/usr/local/lib/redis-ha/dashboard/index.html'));
  const r1 = hostBundle(t, t.hosts[0]!, ctx(t));
  assert.ok(!r1.startOrder.includes('redis-ha-proxy.service'));
  assert.ok(!r1.files.some((f) => String(f.content).includes('sentinel client-reconfig-script')));
});
