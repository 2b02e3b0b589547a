import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { terminate } from '../../src/util/pids.js';
import { CLI, cli } from '../helpers/cluster.js';
import { newLoginToken } from '../../src/dashboard/login.js';
import { writeSeedTopology } from '../helpers/topology.js';

const ADDR = '10.251.7.1';

/** `node -e` inside the namespace: the HTTP status of each URL. */
function statuses(ns: string, urls: string[]): number[] {
  const script = `Promise.all(${JSON.stringify(urls)}.map((u) => fetch(u, { redirect: 'manual' }).then((r) => r.status, () => 0))).then((s) => console.log(JSON.stringify(s)))`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return JSON.parse(r.stdout || '[]') as number[];
}

test('dashboard bound beyond loopback (an address in a namespace this test creates) requires the token', async (t) => {
  if (process.getuid?.() !== 0 || spawnSync('ip', ['-V']).status !== 0)
    return t.skip('needs root and iproute2 for a network namespace');
  const ns = `rh-dash-${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-dash-ns-'));
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    spawnSync('ip', ['-n', ns, 'addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
    await writeSeedTopology(dir, { sentinelNames: ['s1', 's2', 's3'] });
    // Secrets without starting anything (render creates them); nothing runs in the namespace but
    // the dashboard, which then sees every member down: enough to test who may look.
    assert.equal((await cli(['render', '--out', path.join(dir, 'out')], dir)).code, 0);
    // The namespace is this test's own: nothing else listens there.
    const port = 19000 + (process.pid % 1000);
    child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, CLI, 'dashboard', '--listen', `${ADDR}:${port}`],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const base = `http://${ADDR}:${port}`;
    const deadline = Date.now() + 15_000;
    while (!out.includes('token required') && Date.now() < deadline) await sleep(100);
    assert.match(out, /dashboard at http:\/\/10\.251\.7\.1:\d+\/ \(token required/);
    const token = (
      JSON.parse((await cli(['secrets', '--json'], dir)).stdout) as { dashboardToken: string }
    ).dashboardToken;
    // Beyond loopback the token rules stay: a valid one-time login link does not log in.
    const once = `${base}/login?once=${newLoginToken(token)}`;
    assert.deepEqual(
      statuses(ns, [
        `${base}/`,
        `${base}/events`,
        `${base}/api/snapshot`,
        `${base}/?token=nope`,
        once,
      ]),
      [401, 401, 401, 401, 401],
    );
    assert.doesNotMatch(out, /login\?once=/, 'no login link printed beyond loopback');
    assert.deepEqual(statuses(ns, [`${base}/?token=${token}`]), [303]);
  } finally {
    if (child?.pid) {
      // `ip netns exec` execs node: the PID is the dashboard's own.
      await terminate(child.pid, 5000);
    }
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(ns));
});
