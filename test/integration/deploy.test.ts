import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { LAB_TOPOLOGY } from '../../src/topology/seed.js';
import type { LabState } from '../../src/lab/lab.js';
import { cli, secretLeaks } from '../helpers/cluster.js';

const can = (cmd: string, args: string[]): boolean => spawnSync(cmd, args).status === 0;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

/** A writer in the lab's client host: numbered SETs through the VIP until `stop` exists, then a
 * read-back of every acknowledged one. Prints {acked, missing}. */
const WRITER = `
const { createRequire } = require('node:module');
const { Redis } = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('ioredis');
const fs = require('node:fs');
const [vip, pw, stop] = process.argv.slice(1);
const r = new Redis({ host: vip, port: 6379, username: 'app', password: pw, maxRetriesPerRequest: 0,
  retryStrategy: () => 5, connectTimeout: 200, enableReadyCheck: false, commandTimeout: 500 });
r.on('error', () => {});
(async () => {
  const acked = [];
  for (let i = 0; !fs.existsSync(stop); i++) {
    try { if ((await r.set('deploy:' + i, String(i))) === 'OK') acked.push(i); }
    catch { r.disconnect(true); await new Promise((x) => setTimeout(x, 5)); }
  }
  let missing = 0;
  for (let j = 0; j < acked.length; j += 500) {
    const keys = acked.slice(j, j + 500);
    const vals = await r.mget(keys.map((k) => 'deploy:' + k));
    keys.forEach((k, n) => { if (vals[n] !== String(k)) missing++; });
  }
  console.log(JSON.stringify({ acked: acked.length, missing }));
  process.exit(0);
})();
`;

test('deploy into the lab over SSH: from scratch, again (no changes), then a new replica with no write lost', async (t) => {
  if (
    process.getuid?.() !== 0 ||
    !['ip', 'nsenter', 'arping', 'ssh', '/usr/sbin/sshd'].every((c) =>
      can(c, c === 'ip' ? ['-V'] : c === 'nsenter' ? ['--version'] : ['-V']),
    )
  )
    return t.skip('needs root, iproute2, nsenter, arping, ssh and sshd');
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-deploy-'));
  const file = path.join(dir, 'lab.yaml');
  const v1 = {
    ...LAB_TOPOLOGY,
    stateDir: path.join(dir, 'state'),
    hosts: { ...LAB_TOPOLOGY.hosts, redis03: { address: '10.208.0.14' } },
  };
  writeFileSync(file, stringify(v1));
  try {
    const up = await cli(['lab', 'up', '--empty', '-f', file], dir, 120_000);
    assert.equal(up.code, 0, up.stderr);
    const dry = await cli(['deploy', '--lab', '--dry-run', '-f', file], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^redis01 \(root@10\.208\.0\.11\):$/m);
    assert.match(dry.stdout, /run {2}ssh .* sh \/var\/tmp\/redis-ha-bundle\/install\.sh/);
    const first = await cli(['deploy', '--lab', '-f', file, '--json'], dir, 300_000);
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    const again = await cli(['deploy', '--lab', '-f', file, '--json'], dir, 300_000);
    assert.equal(again.code, 0, again.stderr);
    const hosts = (JSON.parse(again.stdout) as { hosts: { host: string; status: string }[] }).hosts;
    assert.deepEqual(
      hosts.map((h) => h.status),
      hosts.map(() => 'unchanged'),
    );

    // A host that cannot be reached stops the rollout there, with a report of every host.
    writeFileSync(
      file,
      stringify({
        ...v1,
        hosts: { ...v1.hosts, redis02: { address: '10.208.0.12', ssh: 'root@10.208.0.12:2' } },
      }),
    );
    const broken = await cli(['deploy', '--lab', '-f', file], dir, 300_000);
    assert.equal(broken.code, 1, broken.stderr);
    assert.match(broken.stderr, /^error: deploy stopped at redis02: /m);
    assert.match(
      broken.stderr,
      /^hint: hosts: redis01 unchanged, redis02 failed, supervision skipped, redis03 skipped;/m,
    );
    writeFileSync(file, stringify(v1));

    // A new replica on redis03 while an application writes through the VIP.
    const lab = JSON.parse(readFileSync(path.join(dir, 'state/lab/lab.json'), 'utf8')) as LabState;
    const pw = (
      JSON.parse(readFileSync(path.join(dir, 'state/secrets.json'), 'utf8')) as {
        users: { app: string };
      }
    ).users.app;
    const stop = path.join(dir, 'stop');
    const writer = spawn(
      'ip',
      ['netns', 'exec', lab.client.ns, process.execPath, '-e', WRITER, '10.208.0.100', pw, stop],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    writer.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await sleep(1000);
    writeFileSync(
      file,
      stringify({
        ...v1,
        nodes: { ...v1.nodes, redis03: { role: 'replica', host: 'redis03', port: 6379 } },
      }),
    );
    const add = await cli(['deploy', '--lab', '-f', file, '--json'], dir, 300_000);
    await sleep(1000);
    writeFileSync(stop, '');
    await new Promise((r) => writer.once('exit', r));
    assert.equal(add.code, 0, `${add.stdout}\n${add.stderr}`);
    const r = JSON.parse(out) as { acked: number; missing: number };
    assert.ok(r.acked > 100, `writes went through: ${out}`);
    assert.equal(r.missing, 0, 'acknowledged writes lost');
    const status = await cli(['lab', 'status', '-f', file, '--json'], dir);
    const s = JSON.parse(status.stdout) as {
      hosts: { name: string; units: Record<string, number | null> }[];
    };
    assert.ok(s.hosts.find((h) => h.name === 'redis03')?.units['redis-ha-node-redis03.service']);
    assert.deepEqual(secretLeaks(path.join(dir, 'state')), [], "secrets in the lab hosts' logs");
  } finally {
    await cli(['lab', 'down', '-f', file], dir, 120_000);
    rmSync(dir, { recursive: true, force: true });
  }
});
