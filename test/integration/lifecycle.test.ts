import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { cli, countGood, processesUnder, withCluster, writeKeys } from '../helpers/cluster.js';

test('second `up` on a running state dir is refused; after `down`, `up` reuses data and secrets', async () => {
  await withCluster('reuse', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const again = await c.run(['up', '--detach']);
    assert.equal(again.code, 5);
    assert.match(again.stderr, /^error: this topology is already running \(supervisor pid \d+/m);
    assert.match(again.stderr, /^hint: see `redis-ha status`/m);

    const password = c.password();
    const p = c.client(c.ports.redis01);
    await writeKeys(p, 1000);
    c.closeClients();
    const down = await c.run(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesUnder(c.dir), [], 'down leaves no process');

    const up = await c.run(['up', '--detach']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(c.password(), password, 'secrets are reused');
    const r = c.client(c.ports.redis01);
    assert.equal(await countGood(r, 1000), 1000, 'data survives a down/up (RDB on shutdown)');
  });
});

test('secrets: one 0600 file, never in status/logs/events/configs output; `secrets` shows them on request', async () => {
  await withCluster('secrets', {}, async (c) => {
    const up = await c.run(['up', '--detach']);
    assert.equal(up.code, 0);
    const file = path.join(c.dir, '.redis-ha/secrets.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(
      statSync(path.join(c.dir, '.redis-ha/nodes/redis01/redis.conf')).mode & 0o777,
      0o600,
    );
    const pw = c.password();
    assert.ok(pw.length >= 32);
    // Every secret: the passwords, every ACL user's, the dashboard token.
    const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const secretsOf = (v: unknown): string[] =>
      typeof v === 'string'
        ? [v]
        : v && typeof v === 'object'
          ? Object.values(v).flatMap(secretsOf)
          : [];
    const every = secretsOf(all);
    assert.ok(every.length >= 8, `${every.length} secrets`);
    const outputs = [up.stdout, up.stderr];
    for (const args of [
      ['status'],
      ['status', '--json'],
      ['logs'],
      ['logs', 'redis01'],
      ['logs', 's1'],
      ['validate'],
    ]) {
      const r = await c.run(args);
      outputs.push(r.stdout, r.stderr);
    }
    outputs.push(readFileSync(path.join(c.dir, '.redis-ha/events.jsonl'), 'utf8'));
    for (const o of outputs) for (const s of every) assert.ok(!o.includes(s), 'a secret leaked');
    const shown = await c.run(['secrets']);
    assert.ok(shown.stdout.includes(pw), '`secrets` prints it');
    // One alone, for `$(...)` in scripts.
    assert.equal((await c.run(['secrets', 'app'])).stdout, `${c.auth('app').password}\n`);
    const nope = await c.run(['secrets', 'nobody']);
    assert.equal(nope.code, 2);
    assert.match(
      nope.stderr,
      /^hint: .*one of admin, app, replication, sentinel, monitor, sentinels/m,
    );
  });
});

test('status --json reports roles, offsets, sentinel views and quorum; logs shows events', async () => {
  await withCluster('status', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const s = await c.status();
    assert.equal(s.healthy, true);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.role, n.following, n.link]),
      [
        ['redis01', 'primary', null, null],
        ['redis02', 'replica', 'redis01', 'up'],
      ],
    );
    assert.deepEqual(
      s.sentinels.map((x) => x.names),
      ['redis01', 'redis01', 'redis01'],
    );
    const text = await c.run(['status']);
    assert.match(text.stdout, /^HEALTHY {2}primary: redis01/);
    assert.match(text.stdout, /OK 3 usable Sentinels/);
    const logs = await c.run(['logs']);
    assert.match(logs.stdout, /healthy: primary redis01/);
    const unknown = await c.run(['logs', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^error: no member named "nope"\nhint: members: redis01, redis02, s1, s2, s3/m,
    );
  });
});

test('a sentinel or replica killed is restarted by the supervisor', async () => {
  await withCluster('restart', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const before = c.pidOf('s2');
    process.kill(before, 'SIGKILL');
    process.kill(c.pidOf('redis02'), 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let s = await c.status();
    while (
      !(
        s.healthy &&
        existsSync(path.join(c.dir, '.redis-ha/run/s2.pid')) &&
        c.pidOf('s2') !== before
      ) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 200));
      s = await c.status();
    }
    assert.equal(s.healthy, true, s.problems.join('; '));
    assert.notEqual(c.pidOf('s2'), before);
    assert.equal(s.failovers.length, 0, 'a replica restart is not a failover');
  });
});

test('`down` with nothing running says so; status of a never-started dir is a clear error', async () => {
  await withCluster('idle', {}, async (c) => {
    const down = await c.run(['down']);
    assert.equal(down.code, 0);
    assert.match(down.stdout, /^nothing was running from /);
    const status = await c.run(['status']);
    assert.equal(status.code, 5);
    assert.match(
      status.stderr,
      /^error: nothing has been started from .*\nhint: start it with `redis-ha up`/,
    );
    const json = await c.run(['status', '--json']);
    assert.deepEqual(Object.keys((JSON.parse(json.stdout) as { error: object }).error), [
      'code',
      'message',
      'hint',
      'details',
    ]);
  });
});

test('CLI: every command has --help; bad input is a clean error with an exit code, never a stack', async () => {
  const cwd = path.resolve('.');
  for (const cmd of ['validate', 'render', 'up', 'down', 'status', 'logs', 'failover', 'secrets']) {
    const r = await cli([cmd, '--help'], cwd);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: redis-ha ${cmd}`), cmd);
  }
  const unknown = await cli(['frobnicate'], cwd);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const missing = await cli(['validate', '-f', '/nonexistent/topology.yaml'], cwd);
  assert.equal(missing.code, 3);
  assert.equal(
    missing.stderr,
    'error: cannot read topology file /nonexistent/topology.yaml\nhint: check the path given to -f, or omit -f to use the seed topology\n',
  );
  assert.doesNotMatch(missing.stderr + unknown.stderr, /\s+at .*\(.*:\d+:\d+\)/);
});
