import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { isAlive } from '../../src/util/pids.js';
import { LAB_TOPOLOGY } from '../../src/topology/seed.js';
import type { LabState } from '../../src/lab/lab.js';
import type { DrillReport } from '../../src/drill/drill.js';
import { CLI, cli, secretLeaks } from '../helpers/cluster.js';

const can = (cmd: string, args: string[]): boolean => spawnSync(cmd, args).status === 0;

function inHost(lab: LabState, host: string, argv: string[], env: string[] = []) {
  const h = lab.hosts.find((x) => x.name === host);
  assert.ok(h?.initPid, `lab host ${host}`);
  return spawnSync('nsenter', ['-t', String(h.initPid), '-m', '-n', '--', 'env', ...env, ...argv], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Every Nagios service of the supervision host's installed config, run there: its exit code. */
function nagiosChecks(lab: LabState): { service: string; code: number; out: string }[] {
  const cfg = inHost(lab, 'supervision', ['cat', '/etc/nagios4/conf.d/redis-ha.cfg']).stdout;
  const commands = new Map(
    [...cfg.matchAll(/command_name\s+(\S+)\s+command_line\s+(.+)/g)].map((m) => [m[1]!, m[2]!]),
  );
  const addresses = new Map(
    [...cfg.matchAll(/host_name\s+(\S+)\s+address\s+(\S+)/g)].map((m) => [m[1]!, m[2]!]),
  );
  const services = [
    ...cfg.matchAll(
      /host_name\s+(\S+)\s+service_description\s+\S+\s+check_command\s+(redis-ha-check-[^!\s]+)!(.+)/g,
    ),
  ];
  return services.map((m) => {
    const [name, port, extra] = [m[2]!, ...m[3]!.split('!')];
    const line = (commands.get(name) ?? '')
      .replace('$HOSTADDRESS$', addresses.get(m[1]!) ?? '')
      .replace('$ARG1$', port ?? '')
      .replace('$ARG2$', extra ?? '');
    const r = inHost(lab, 'supervision', ['sh', '-c', line]);
    return {
      service: `${m[1]!} ${name}`,
      code: r.status ?? -1,
      out: r.stdout.split('\n')[0] ?? '',
    };
  });
}

test("lab: the seed's hosts in namespaces, a fenced floating address, drills, idempotent install, nothing left", async (t) => {
  if (
    process.getuid?.() !== 0 ||
    !can('ip', ['-V']) ||
    !can('nsenter', ['--version']) ||
    !can('arping', ['-V'])
  )
    return t.skip('needs root, iproute2, nsenter and arping');
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-lab-'));
  const file = path.join(dir, 'lab.yaml');
  writeFileSync(file, stringify({ ...LAB_TOPOLOGY, stateDir: path.join(dir, 'state') }));
  const labFile = path.join(dir, 'state', 'lab', 'lab.json');
  let lab: LabState | undefined;
  try {
    const up = await cli(['lab', 'up', '-f', file], dir, 240_000);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stdout, /floating address 10\.208\.0\.100 held by redis01/);
    lab = JSON.parse(readFileSync(labFile, 'utf8')) as LabState;

    // Installing again changes nothing.
    for (const h of lab.hosts) {
      const r = inHost(
        lab,
        h.name,
        ['sh', path.join(dir, 'state/lab/bundles', h.name, 'install.sh')],
        ['REDIS_HA_LAB=1'],
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /no changes/, `${h.name}: ${r.stdout}`);
    }
    // Secrets: the supervision host carries no app, replication or admin password.
    const scoped = JSON.parse(
      inHost(lab, 'supervision', ['cat', '/var/lib/redis-ha/secrets.json']).stdout,
    ) as {
      users: Record<string, string>;
    };
    assert.deepEqual(
      [scoped.users.app, scoped.users.replication, scoped.users.admin],
      ['', '', ''],
    );

    for (const fault of ['kill', 'partition']) {
      const r = await cli(
        ['drill', '--lab', '-f', file, '--fault', fault, '--runs', '1', '--json'],
        dir,
        240_000,
      );
      assert.equal(r.code, 0, `${fault}: ${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout) as DrillReport;
      const run = report.runs[0]!;
      assert.equal(run.lost, 0, `${fault}: acknowledged writes lost`);
      assert.notEqual(run.to, run.from, `${fault}: a failover happened`);
      assert.ok(run.vip && run.vip.samples > 10, `${fault}: VIP sampled`);
      assert.equal(run.vip.overlapping, 0, `${fault}: two hosts held the address`);
      assert.ok(run.vip.releasedAfterMs !== null && run.vip.takenAfterMs !== null);
      assert.ok(run.vip.releasedAfterMs <= run.vip.takenAfterMs, `${fault}: released before taken`);
      if (fault === 'partition') {
        assert.ok(
          run.vip.releasedAfterMs < 2000,
          `fenced within down-after: ${run.vip.releasedAfterMs}ms`,
        );
        // Cut off with a minority, the old primary is never kept writable alone: it refuses
        // writes once its replica's last ACK is min-replicas-max-lag (3 s) old. Redis counts
        // that lag in whole seconds and recounts good replicas once a second (replicationCron),
        // and the last ACK (one a second) may predate the cut: up to lag + 1 s, probed every
        // 100 ms from inside the host.
        const refused = run.isolatedRefusedAfterMs;
        assert.ok(refused !== null && refused !== undefined, 'the isolated primary took writes');
        assert.ok(refused <= 4500, `the isolated primary refused writes after ${refused}ms`);
      }
    }
    // After the heal: healthy (the drill waited for it), one holder, every Nagios check OK.
    const status = await cli(['lab', 'status', '-f', file, '--json'], dir);
    assert.equal((JSON.parse(status.stdout) as { vipHolders: string[] }).vipHolders.length, 1);
    const checks = nagiosChecks(lab);
    assert.equal(checks.length, 5);
    for (const c of checks) assert.equal(c.code, 0, `${c.service}: ${c.out}`);
    assert.deepEqual(secretLeaks(path.join(dir, 'state')), [], "secrets in the lab hosts' logs");
  } finally {
    const down = await cli(['lab', 'down', '-f', file], dir, 120_000);
    assert.equal(down.code, 0, down.stderr);
    rmSync(dir, { recursive: true, force: true });
  }
  // Nothing left: namespaces, processes, mounts.
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(lab && !names.includes(`rhlab-${lab.id}`), names);
  for (const h of lab?.hosts ?? []) assert.ok(!h.initPid || !isAlive(h.initPid));
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes('redis-ha-lab-'));
  assert.ok(!existsSync(labFile));
});

test('lab without root: a clear error, nothing created', (t) => {
  if (process.getuid?.() !== 0 || !can('setpriv', ['--version']))
    return t.skip('needs root to drop it');
  const before = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'lab', 'up'],
    { cwd: tmpdir(), encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 4, r.stderr);
  assert.match(
    r.stderr,
    /^error: redis-ha lab up needs root \(network namespaces, mounts\)\nhint: run it as root/m,
  );
  assert.equal(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, before);
});
