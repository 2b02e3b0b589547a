// Runs the three test tiers with node's test runner, after lint. Called by `npm test`.
//   REDIS_HA_TEST_TIERS=unit,fake,integration (default: all)   REDIS_HA_SKIP_LINT=1
// Afterwards, everything the suite printed and the artifacts it kept are scanned for every secret
// its clusters generated (each cluster records them in REDIS_HA_SECRETS_SEEN before teardown).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tiers = (process.env.REDIS_HA_TEST_TIERS ?? 'unit,fake,integration').split(',');

function files(dir) {
  const abs = path.join(root, dir);
  try {
    statSync(abs);
  } catch {
    return [];
  }
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(abs, f));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  return r.status ?? 1;
}

if (!process.env.REDIS_HA_SKIP_LINT) {
  console.log('lint: eslint + prettier');
  if (run('npx', ['--no-install', 'eslint', '.']) !== 0) process.exit(1);
  if (run('npx', ['--no-install', 'prettier', '--check', '--log-level', 'warn', '.']) !== 0)
    process.exit(1);
}

const list = tiers.flatMap((t) => files(`dist/test/${t}`));
if (list.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Integration tests start real servers: one file at a time keeps 2 cores from starving Sentinel.
const seenDir = mkdtempSync(path.join(tmpdir(), 'redis-ha-secrets-seen-'));
const seen = path.join(seenDir, 'secrets');
const printed = [];
const code = await new Promise((resolve) => {
  const p = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...list],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REDIS_HA_SECRETS_SEEN: seen },
    },
  );
  p.stdout.on('data', (d) => (printed.push(d), process.stdout.write(d)));
  p.stderr.on('data', (d) => (printed.push(d), process.stderr.write(d)));
  p.on('close', (c) => resolve(c ?? 1));
});
const secrets = existsSync(seen)
  ? [
      ...new Set(
        readFileSync(seen, 'utf8')
          .split('\n')
          .filter((x) => x.length >= 20),
      ),
    ]
  : [];
const places = [['the test output', Buffer.concat(printed).toString('utf8')]];
const artifacts = path.join(root, 'test-artifacts');
if (existsSync(artifacts))
  for (const f of readdirSync(artifacts, { recursive: true }).map(String)) {
    const abs = path.join(artifacts, f);
    if (statSync(abs).isFile()) places.push([`test-artifacts/${f}`, readFileSync(abs, 'latin1')]);
  }
const leaks = places.filter(([, text]) => secrets.some((s) => text.includes(s))).map(([w]) => w);
rmSync(seenDir, { recursive: true, force: true });
console.log(
  `secret scan: ${secrets.length} secrets of the suite's clusters, ${places.length} places: ${leaks.length ? `LEAKED in ${leaks.join(', ')}` : 'none found'}`,
);
process.exit(code !== 0 ? code : leaks.length ? 1 : 0);
