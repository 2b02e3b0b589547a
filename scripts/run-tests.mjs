// Runs the three test tiers with node's test runner, after lint. Called by `npm test`.
//   REDIS_HA_TEST_TIERS=unit,fake,integration (default: all)   REDIS_HA_SKIP_LINT=1
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
process.exit(
  run(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...list]),
);
