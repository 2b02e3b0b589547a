import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listBackups } from '../../src/state/backups.js';
import { cli, countGood, withCluster, writeKeys } from '../helpers/cluster.js';

test('up with backup: {every: 2s, keep: 2}: two backups, never more, each restores; age in /metrics and the check', async () => {
  await withCluster('backup-sched', { extra: 'backup: { every: 2s, keep: 2 }' }, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const p = c.client(c.ports.redis01);
    await writeKeys(p, 300);
    await p.wait(2, 5000);
    const root = path.join(c.dir, '.redis-ha/backups');
    // Bounded: until a third backup replaced the first (4 x every plus the backups' own time).
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (seen.size < 3) {
      assert.ok(Date.now() < deadline, `only ${seen.size} backups within 30s`);
      const now = listBackups(root).filter((b) => b.time !== undefined);
      assert.ok(now.length <= 2, `more than keep: ${now.map((b) => b.name).join(', ')}`);
      for (const b of now) seen.add(b.name);
      await sleep(100);
    }
    const metrics = await c.metrics();
    const age = /^redis_ha_backup_age_seconds (\S+)$/m.exec(metrics)?.[1];
    assert.ok(age !== undefined && Number(age) < 10, `age in /metrics: ${age}`);
    assert.match(metrics, /^redis_ha_backup_last_success_timestamp_seconds \d/m);

    const { dashboardToken } = JSON.parse((await c.run(['secrets', '--json'])).stdout) as {
      dashboardToken: string;
    };
    const snap = await fetch(`http://127.0.0.1:${c.ports.dashboard}/api/snapshot`, {
      headers: { cookie: `redis_ha_token=${encodeURIComponent(dashboardToken)}` },
      signal: AbortSignal.timeout(10_000),
    });
    const view = (await snap.json()) as { backup?: { everySeconds: number; ageSeconds?: number } };
    assert.equal(view.backup?.everySeconds, 2);
    assert.ok((view.backup.ageSeconds ?? 99) < 10, JSON.stringify(view.backup));

    const ok = await cli(['check', 'backup', '-d', root, '-w', '1h', '-c', '2h'], c.dir);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /^BACKUP OK - newest backup .*\| 'age'=[\d.]+s;3600;7200;0$/m);
    const old = await cli(['check', 'backup', '-d', root, '-w', '1ms', '-c', '1h'], c.dir);
    assert.equal(old.code, 1, old.stdout);
    assert.match(old.stdout, /^BACKUP WARNING/);

    // By hand: `--keep 1 --to DIR` leaves only the newest in DIR.
    const own = path.join(c.dir, 'own');
    for (let i = 0; i < 2; i++) {
      const b = await c.run([
        'backup',
        '--keep',
        '1',
        '--to',
        own,
        '--if-local-replica',
        '--host',
        '127.0.0.1',
      ]);
      assert.equal(b.code, 0, b.stderr);
    }
    assert.equal(listBackups(own).filter((b) => b.time !== undefined).length, 1);

    c.closeClients();
    assert.equal((await c.run(['down'])).code, 0);
    const kept = listBackups(root).filter((b) => b.time !== undefined);
    assert.equal(kept.length, 2);
    for (const b of kept) {
      // A copy: the scheduler of the next `up` goes on rotating the backup dir.
      const dir = path.join(c.dir, 'restore', b.name);
      cpSync(path.join(root, b.name), dir, { recursive: true });
      assert.equal((await c.run(['restore', dir])).code, 0);
      assert.equal((await c.run(['up', '--detach'])).code, 0);
      const v = await c.run(['restore', dir, '--verify']);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.equal(await countGood(c.client(c.ports.redis01), 300), 300);
      c.closeClients();
      assert.equal((await c.run(['down'])).code, 0);
    }
  });
});
