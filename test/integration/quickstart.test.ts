import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSeedTopology } from '../helpers/topology.js';
import { processesUnder } from '../helpers/cluster.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

function sh(command: string, cwd: string, input?: string): string {
  const r = spawnSync('sh', ['-c', command], { cwd, input, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${command}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * While `npm start` runs: the line it ends with (the endpoint as a redis:// URL, the redis-cli line
 * to paste), and every `npx redis-ha` command the README shows, as written, in the clone.
 */
async function readmeCommands(clone: string, out: string, endpoint: number): Promise<void> {
  assert.match(
    out,
    new RegExp(
      `^connect to redis://app@127\\.0\\.0\\.1:${endpoint} \\(the endpoint: always the primary\\)`,
      'm',
    ),
  );
  const paste = /^ {2}(redis-cli -h \S+ -p \d+ --user app --askpass)$/m.exec(out)?.[1];
  assert.ok(paste, out);
  const password = sh('npx redis-ha secrets app', clone);
  assert.match(sh(`${paste} INCR visits`, clone, password), /^\d+$/m, 'the pasted redis-cli line');
  const readme = readFileSync(path.join(clone, 'README.md'), 'utf8');
  // The commands table: each command exists (`--help`); the ones that only read, as written.
  const table = [...readme.matchAll(/^\| `npx redis-ha ([a-z-]+)/gm)].map((m) => m[1] ?? '');
  assert.ok(table.length >= 10, table.join(', '));
  for (const c of table) sh(`npx redis-ha ${c} --help`, clone);
  for (const c of ['status', 'endpoint', 'validate', 'logs']) sh(`npx redis-ha ${c}`, clone);
  const next = sh('npx redis-ha', clone);
  for (const c of ['status', 'endpoint', 'dashboard --url', 'drill --fault kill', 'down'])
    assert.ok(next.includes(`npx redis-ha ${c}`), next);
  // Shell blocks (a drill among them): each `npx redis-ha ...` as written, also in `$(...)`.
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
  const written = blocks.flatMap((b) =>
    [...b.matchAll(/npx redis-ha[^)"\n#]*/g)].map((m) => m[0].trim()),
  );
  assert.ok(written.length >= 3, `README shell commands: ${written.join('; ')}`);
  for (const command of written) sh(command, clone);
  // The dashboard links log in: the one printed, then a fresh one; a cookie, then the page.
  const printed = /^dashboard: (\S+) \(logs you in/m.exec(out)?.[1] ?? '';
  assert.equal((await fetch(printed, { redirect: 'manual' })).status, 303, printed);
  const link = sh('npx redis-ha dashboard --url', clone).trim();
  const login = await fetch(link, { redirect: 'manual' });
  assert.equal(login.status, 303, link);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  assert.equal((await fetch(new URL('/', link), { headers: { cookie } })).status, 200);
}

/**
 * The README's two commands, from a clean clone: `npm start` brings the seed topology up (here
 * pinned to free ports by a redis-ha.yaml, never 6379), `npm test` runs the tests (the unit tier,
 * to not recurse into this test).
 */
test(
  'README quick start from a clean clone: npm start, then npm test',
  { timeout: 600_000 },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-quickstart-'));
    const clone = path.join(dir, 'redis-ha');
    try {
      const git = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
      assert.equal(git.status, 0, git.stderr);
      const { ports } = await writeSeedTopology(clone);

      // 1. npm start: foreground until healthy, then Ctrl-C (SIGINT to its process group).
      const start = spawn('npm', ['start'], {
        cwd: clone,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      start.stdout.on('data', (d: Buffer) => (out += d.toString()));
      start.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<string>((resolve) =>
        start.on('exit', (code, signal) => resolve(`exit ${code ?? signal}`)),
      );
      const deadline = Date.now() + 420_000;
      while (
        !/Ctrl-C stops everything/.test(out) &&
        Date.now() < deadline &&
        start.exitCode === null
      ) {
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(out, /healthy: primary redis01/, out);
      assert.match(out, /redis02 initial sync \.\.\. 100%/);
      assert.ok(processesUnder(clone).length >= 5, 'servers running while up');
      await readmeCommands(clone, out, ports.endpoint);
      process.kill(-start.pid!, 'SIGINT');
      const how = await Promise.race([
        exited,
        new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000)),
      ]);
      assert.notEqual(how, 'timeout', 'npm start stopped on Ctrl-C');
      // npm exits on SIGINT at once; the redis-ha process under it finishes its shutdown.
      for (let i = 0; i < 100 && processesUnder(clone).length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(out, /stopped/);
      assert.deepEqual(processesUnder(clone), [], 'Ctrl-C leaves no process');

      // 2. npm test (unit tier) in the same clone.
      const t = spawnSync('npm', ['test'], {
        cwd: clone,
        encoding: 'utf8',
        timeout: 300_000,
        // Without NODE_TEST_CONTEXT the nested runner reports to stdout, not to this runner.
        env: {
          ...process.env,
          NODE_TEST_CONTEXT: undefined,
          REDIS_HA_TEST_TIERS: 'unit',
          REDIS_HA_SKIP_LINT: '1',
        },
      });
      assert.equal(t.status, 0, t.stdout + t.stderr);
      assert.match(t.stdout, /ℹ fail 0/);
    } finally {
      for (const pid of processesUnder(clone)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
