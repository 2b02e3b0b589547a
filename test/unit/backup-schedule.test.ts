import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { applyRetention, expiredBackups, newestBackup } from '../../src/state/backups.js';
import { backupAge, parseBackupArgs, runCheckBackup } from '../../src/monitor/check-backup.js';
import { parseTopologyText, resolveTopology } from '../../src/topology/load.js';
import { topologyProblems } from '../helpers/topology.js';
import { FAKE_SECRETS } from '../helpers/fixtures.js';
import { hostBundle } from '../../src/render/bundle/host-bundle.js';
import { writeHostBundles } from '../../src/render/bundle/write-bundles.js';
import { LAB_SOURCE, LAB_TOPOLOGY } from '../../src/topology/seed.js';
import type { BoundTopology, NodeSpec } from '../../src/topology/model.js';

const BASE = `nodes:
  redis01: {role: primary}
  redis02: {role: replica}
sentinels:
  s1: {}
  s2: {}
  s3: {}
`;

test('retention: the oldest beyond keep, by manifest time; never a dir without one', () => {
  const e = [
    { name: 'b', time: 2000 },
    { name: 'notes' },
    { name: 'a', time: 1000 },
    { name: 'c', time: 3000 },
    { name: 'zzz-not-ours', time: undefined },
  ];
  assert.deepEqual(expiredBackups(e, 2), ['a']);
  assert.deepEqual(expiredBackups(e, 1), ['b', 'a']);
  assert.deepEqual(expiredBackups(e, 5), []);
  assert.deepEqual(expiredBackups(e, 0), ['c', 'b', 'a']);
  assert.deepEqual(expiredBackups([{ name: 'x' }, { name: 'y' }], 0), []);
});

function manifest(dir: string, time: string): void {
  mkdirSync(dir, { recursive: true });
  const m = { version: 1, time, rdb: 'dump.rdb', sha256: 'ab' };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
}

test('retention on disk: deletes only redis-ha backups; the newest gives the age', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'redis-ha-retention-'));
  try {
    manifest(path.join(root, 'one'), '2026-01-01T00:00:00.000Z');
    manifest(path.join(root, 'two'), '2026-01-02T00:00:00.000Z');
    manifest(path.join(root, 'three'), '2026-01-03T00:00:00.000Z');
    mkdirSync(path.join(root, 'mine'));
    writeFileSync(path.join(root, 'mine', 'manifest.json'), '{"someone": "else"}');
    writeFileSync(path.join(root, 'file.txt'), 'x');
    assert.equal(newestBackup(root)?.time, Date.parse('2026-01-03T00:00:00.000Z'));
    assert.deepEqual(
      applyRetention(root, 1)
        .map((d) => path.basename(d))
        .sort(),
      ['one', 'two'],
    );
    for (const kept of ['three', 'mine', 'file.txt']) assert.ok(existsSync(path.join(root, kept)));
    assert.equal(newestBackup(path.join(root, 'missing')), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('topology: backup is off unless every is set; keep and dir defaults; typos suggested', () => {
  assert.equal(parseTopologyText(BASE, 't.yaml', '/tmp/x').backup, undefined);
  const on = parseTopologyText(`${BASE}backup: { every: 1h }\n`, 't.yaml', '/tmp/x').backup;
  assert.deepEqual(on, { everyMs: 3_600_000, keep: 24, dir: '/tmp/x/.redis-ha/backups' });
  const own = parseTopologyText(
    `${BASE}backup: { every: 2s, keep: 2, dir: bk }\n`,
    't.yaml',
    '/tmp/x',
  );
  assert.deepEqual(own.backup, { everyMs: 2000, keep: 2, dir: '/tmp/x/bk' });
  const bad = (y: string): string =>
    topologyProblems(() => parseTopologyText(`${BASE}${y}\n`, 'bad.yaml', '/tmp')).join('\n');
  assert.match(bad('backup: { every: soon }'), /backup\.every.*duration/);
  assert.match(bad('backup: { every: 500ms }'), /at least "1s"/);
  assert.match(bad('backup: { every: 1h, keep: 0 }'), /backup\.keep/);
  assert.match(bad('backup: { evry: 1h }'), /every/);
});

test('check backup: thresholds, perfdata, exit codes, --help', async () => {
  const o = { dir: '/b', warnS: 7200, critS: 21600 };
  const now = Date.parse('2026-01-01T12:00:00Z');
  const state = (ageS: number | undefined): number | undefined =>
    backupAge(o, ageS === undefined ? undefined : now - ageS * 1000, now).findings[0]?.state;
  assert.equal(state(60), 0);
  assert.equal(state(7200), 0);
  assert.equal(state(7201), 1);
  assert.equal(state(21601), 2);
  assert.equal(state(undefined), 2);
  assert.deepEqual(parseBackupArgs(['-d', '/b', '-w', '90m', '-c', '3h']).warnS, 5400);
  assert.equal(parseBackupArgs(['-d', '/b', '-w', '600']).warnS, 600);
  const help = await runCheckBackup(['--help']);
  assert.equal(help.code, 3);
  assert.match(help.text, /^Usage: redis-ha check backup/);
  const bad = await runCheckBackup(['-w', '1h']);
  assert.equal(bad.code, 3);
  assert.match(bad.text, /^BACKUP UNKNOWN - -d DIR is required/);
  const none = await runCheckBackup(['-d', '/nonexistent-redis-ha']);
  assert.equal(none.code, 2);
  assert.match(none.text, /^BACKUP CRITICAL - no backup in/);
});

test('host bundles: a backup timer on every data host, only from a local in-sync replica; systemd-analyze verify', (t) => {
  const input = { ...LAB_TOPOLOGY, backup: { every: '1h', keep: 3 } };
  const tb = resolveTopology(input, LAB_SOURCE, tmpdir()) as BoundTopology;
  const bundle = (host: string) =>
    hostBundle(
      tb,
      tb.hosts.find((h) => h.name === host)!,
      bundleContext(tb),
    );
  const r1 = bundle('redis01');
  assert.ok(r1.startOrder.includes('redis-ha-backup.timer'));
  assert.ok(!r1.startOrder.includes('redis-ha-backup.service'), 'install.sh starts the timer only');
  const file = (name: string): string =>
    String(r1.files.find((f) => f.path.endsWith(`/${name}`))?.content);
  assert.match(file('redis-ha-backup.timer'), /^OnUnitActiveSec=3600s$/m);
  assert.match(
    file('redis-ha-backup.service'),
    /^ExecStart=.* backup --if-local-replica --host redis01 --keep 3 --to \/var\/lib\/redis-ha\/backups -f /m,
  );
  assert.ok(!bundle('supervision').startOrder.includes('redis-ha-backup.timer'));
  const out = mkdtempSync(path.join(tmpdir(), 'redis-ha-backup-bundles-'));
  try {
    writeHostBundles(tb, bundleContext(tb), out);
    if (spawnSync('systemd-analyze', ['--version']).status !== 0)
      return t.skip('no systemd-analyze');
    const dir = path.join(out, 'redis01/files/etc/systemd/system');
    const units = ['redis-ha-backup.timer', 'redis-ha-backup.service'];
    const r = spawnSync('systemd-analyze', ['verify', ...units], { cwd: dir, encoding: 'utf8' });
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('redis-ha'));
    assert.deepEqual(ours, []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

function bundleContext(t: BoundTopology) {
  const b = Buffer.from('#!');
  return {
    secrets: FAKE_SECRETS,
    primary: t.nodes[0] as NodeSpec<number>,
    sentinelIds: Object.fromEntries(t.sentinels.map((s, i) => [s.name, String(i).repeat(40)])),
    topologyYaml: 'masterName: mymaster\n',
    cli: b,
    plugins: { checkRedis: b, checkSentinel: b, wrapper: b },
    dashboard: { 'index.html': Buffer.from('<html>') },
  };
}
