import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { terminate } from '../../src/util/pids.js';
import { CLI, withCluster, waitStatus, type TestCluster } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';

const ROOT = path.resolve(path.dirname(CLI), '../../..');
const CLIENTS = path.join(ROOT, 'examples/clients');
/** Debian's python3 and python3-redis (not a python3 of another origin first on the PATH). */
const PYTHON = '/usr/bin/python3';
const PY_REDIS = '/usr/lib/python3/dist-packages/redis/__init__.py';

/** The README's snippets that run until stopped, printing `visits N` per acknowledged INCR. */
const LOOPS: [string, string][] = [
  ['ioredis.mjs', process.execPath],
  ['node-redis.mjs', process.execPath],
  ['redis-py.py', PYTHON],
  ['ioredis-sentinel.mjs', process.execPath],
  ['redis-py-sentinel.py', PYTHON],
];
const FENCE: Record<string, string> = { '.mjs': 'js', '.py': 'python', '.sh': 'sh' };

interface Running {
  file: string;
  child: ChildProcess;
  out: string;
}

function visits(text: string): number[] {
  return [...text.matchAll(/^visits (\d+)$/gm)].map((m) => Number(m[1]));
}

/** The environment the README exports: the endpoint, user app's password, the sentinels. */
function readmeEnv(c: TestCluster): NodeJS.ProcessEnv {
  const secret = (name: string): string =>
    spawnSync(process.execPath, [CLI, 'secrets', name, '-f', c.file], {
      cwd: c.dir,
      encoding: 'utf8',
    }).stdout.trim();
  return {
    PATH: process.env.PATH,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(c.ports.endpoint),
    REDIS_PASSWORD: secret('app'),
    REDIS_SENTINELS: c.ports.sentinels.map((p) => `127.0.0.1:${p}`).join(','),
    SENTINEL_PASSWORD: secret('sentinels'),
  };
}

async function until(what: string, pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

function redisCli(env: NodeJS.ProcessEnv): number {
  const r = spawnSync('sh', [path.join(CLIENTS, 'redis-cli.sh')], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'redis-cli printed a warning');
  return Number(r.stdout.trim());
}

test('the README shows each client snippet verbatim', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const file of [...LOOPS.map(([f]) => f), 'redis-cli.sh']) {
    const code = readFileSync(path.join(CLIENTS, file), 'utf8');
    const fence = '```' + FENCE[path.extname(file)] + '\n' + code + '```\n';
    assert.ok(readme.includes(fence), `README.md lacks examples/clients/${file} verbatim`);
  }
});

test('README snippets (ioredis, node-redis, redis-py, redis-cli; ioredis and redis-py with the sentinels) keep working across a kill -9 of the primary', async () => {
  assert.ok(ensureDebianTool(PY_REDIS, 'python3-redis'), 'python3-redis (Debian) is needed');
  await withCluster('snippets', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const env = readmeEnv(c);
    const before = redisCli(env);
    const running: Running[] = LOOPS.map(([file, bin]) => {
      const child = spawn(bin, [path.join(CLIENTS, file)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const r: Running = { file, child, out: '' };
      child.stdout?.on('data', (d: Buffer) => (r.out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (r.out += d.toString()));
      return r;
    });
    try {
      await until(
        'every snippet counting',
        () => running.every((r) => visits(r.out).length >= 3),
        20_000,
      );
      const marks = running.map((r) => r.out.length);
      const top = Math.max(...running.flatMap((r) => visits(r.out)));
      assert.ok(top > before);
      process.kill(c.pidOf('redis01'), 'SIGKILL');
      await waitStatus(c, (s) => s.primary === 'redis02', 30_000, 'redis02 promoted');
      // Each client, in the same process, acknowledges more writes on the new primary.
      await until(
        'every snippet counting again after the failover',
        () =>
          running.every((r, i) => visits(r.out.slice(marks[i])).filter((n) => n > top).length >= 3),
        30_000,
      );
      for (const r of running) assert.equal(r.child.exitCode, null, `${r.file} still running`);
      assert.ok(redisCli(env) > top, 'redis-cli through the endpoint, after the failover');
    } catch (e) {
      for (const r of running) process.stderr.write(`--- ${r.file}\n${r.out.slice(-3000)}\n`);
      throw e;
    } finally {
      for (const r of running) if (r.child.pid) await terminate(r.child.pid, 3000);
    }
  });
});
