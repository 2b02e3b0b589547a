import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cluster.js';
import { FUZZ_SEED, pick, rng } from '../helpers/fuzz.js';

/**
 * Commands that return on their own (not the daemons, nothing that starts servers), run in a temp
 * dir: every path token is relative to it or harmless (no "/" for --out or --state-dir).
 */
const COMMANDS = [
  [],
  ['validate'],
  ['status'],
  ['logs'],
  ['secrets'],
  ['render'],
  ['check', 'redis'],
  ['check', 'sentinel'],
  ['check', 'endpoint'],
  ['check', 'nope'],
  ['nope'],
  ['drill'],
  ['endpoint'],
  ['dashboard', '--url'],
];

const TOKENS = [
  '--json',
  '--help',
  '-h',
  '-f',
  '--file',
  '--state-dir',
  '--out',
  '--nagios',
  '--prometheus',
  '--plugin-dir',
  '--fault',
  '--runs',
  '-n',
  '-p',
  '-H',
  '-t',
  '-w',
  '-c',
  '--role',
  '--sentinels',
  '--',
  '-',
  '',
  ' ',
  '-1',
  '0',
  '1e999',
  'NaN',
  '99999999999999999999',
  '/dev/null',
  '/nonexistent/dir/file.yaml',
  'bad.yaml',
  'x'.repeat(10_000),
  '\u00e9\u4e2d\ud83d\ude00',
  '$(touch /tmp/pwned)',
  '; rm -rf /',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '--runs=1e9',
  '-f=bad.yaml',
  'kill',
];

test(`CLI fuzz: random arguments to every command that returns: a known exit code and a clean message, never a stack trace or an internal error (seed ${FUZZ_SEED})`, async () => {
  const r = rng(FUZZ_SEED + 4);
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-fuzz-cli-'));
  writeFileSync(path.join(dir, 'bad.yaml'), 'nodes: [1, 2\n');
  try {
    for (let i = 0; i < 60; i++) {
      const args = [...pick(r, COMMANDS)];
      const n = Math.floor(r() * 5);
      for (let k = 0; k < n; k++) args.push(pick(r, TOKENS));
      const res = await cli(args, dir, 20_000);
      const shown = `redis-ha ${args.map((a) => JSON.stringify(a.slice(0, 40))).join(' ')}`;
      assert.ok(
        [0, 1, 2, 3, 4, 5, 6].includes(res.code),
        `${shown}: exit ${res.code}\n${res.stderr}`,
      );
      assert.doesNotMatch(res.stderr + res.stdout, /\n\s+at .+:\d+:\d+/, `${shown}: stack trace`);
      assert.doesNotMatch(
        res.stdout + res.stderr,
        /"code": "INTERNAL"|^error: .*internal/im,
        shown,
      );
      if (res.code !== 0 && !args.includes('--json'))
        assert.ok(
          /^error: |^Usage: |^(REDIS|SENTINEL|ENDPOINT) (UNKNOWN|CRITICAL|WARNING)/m.test(
            res.stderr + res.stdout,
          ),
          `${shown}: no clean message:\n${res.stderr}${res.stdout}`.slice(0, 2000),
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync('/tmp/pwned'), 'no shell interpretation of arguments');
});
