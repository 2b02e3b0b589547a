import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { writeSeedTopology } from '../helpers/topology.js';
import { terminate } from '../../src/util/pids.js';
import { cli } from '../helpers/cluster.js';

/** `render --out` writes configs that the real redis-server / redis-sentinel accept as they are. */
test('rendered redis.conf and sentinel.conf run under the real binaries, with auth enforced', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-render-'));
  const pids: number[] = [];
  const clients: Redis[] = [];
  try {
    const { ports } = await writeSeedTopology(dir, { sentinelNames: ['s1', 's2', 's3'] });
    const [p1, p2, s1] = [ports.redis01, ports.redis02, ports.sentinels[0] ?? 0];
    const out = path.join(dir, 'out');
    const r = await cli(['render', '--out', out], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rendered 5 files/);
    const start = (bin: string, conf: string): number => {
      const p = spawn(bin, [conf], { stdio: 'ignore', cwd: dir });
      pids.push(p.pid!);
      return p.pid!;
    };
    start('redis-server', path.join(out, 'nodes/redis01/redis.conf'));
    start('redis-server', path.join(out, 'nodes/redis02/redis.conf'));
    start('redis-sentinel', path.join(out, 'sentinels/s1/sentinel.conf'));
    const secrets = JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
      sentinelPassword: string;
      users: { admin: string };
    };
    // ACL users (the default): redis-ha's own user here.
    const admin = { username: 'admin', password: secrets.users.admin };
    const primary = new Redis({ port: p1, ...admin });
    const replica = new Redis({ port: p2, ...admin });
    const sentinel = new Redis({ port: s1, password: secrets.sentinelPassword });
    clients.push(primary, replica, sentinel);
    // Errors surface through the commands; the servers start after the clients.
    for (const r of clients) r.on('error', () => undefined);
    for (let i = 0; i < 50; i++) {
      if (
        (await primary.ping().catch(() => '')) === 'PONG' &&
        (await sentinel.ping().catch(() => '')) === 'PONG'
      )
        break;
      await sleep(100);
    }

    // Without credentials every port refuses commands (redis-cli, as an operator would try).
    const probes: [number, string[]][] = [
      [p1, ['GET', 'x']],
      [s1, ['SENTINEL', 'MASTERS']],
    ];
    for (const [port, cmd] of probes) {
      const r = spawnSync('redis-cli', ['-p', String(port), ...cmd], {
        encoding: 'utf8',
        timeout: 5000,
      });
      assert.match(r.stdout, /NOAUTH Authentication required/, `port ${port}`);
    }

    try {
      let info = '';
      for (let i = 0; i < 50 && !info.includes('master_link_status:up'); i++) {
        await sleep(100);
        info = await replica.info('replication');
      }
      assert.match(info, /master_link_status:up/);
      // min-replicas-to-write 1: writes are accepted once the primary counts the replica as good
      // (its replication cron refreshes that about once a second after the link comes up).
      let good = '';
      for (let i = 0; i < 50 && !/min_slaves_good_slaves:[1-9]/.test(good); i++) {
        good = await primary.info('replication');
        if (!/min_slaves_good_slaves:[1-9]/.test(good)) await sleep(100);
      }
      assert.match(good, /min_slaves_good_slaves:1/);
      assert.equal(await primary.set('k', 'v'), 'OK');
      const addr = (await sentinel.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        'mymaster',
      )) as string[];
      assert.deepEqual(addr, ['127.0.0.1', String(p1)]);
    } finally {
      primary.disconnect();
      replica.disconnect();
      sentinel.disconnect();
    }
  } finally {
    for (const c of clients) c.disconnect();
    for (const pid of pids) await terminate(pid, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
});
