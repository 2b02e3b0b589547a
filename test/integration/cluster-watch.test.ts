import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { ClusterView } from '../../src/cluster/analyze.js';
import { freePort } from '../../src/state/ports.js';
import { waitFor } from '../../src/util/wait.js';
import { basicAuth, CLI, cli, processesUnder, secretLeaks } from '../helpers/cluster.js';
import { writeClusterTopology } from '../helpers/cluster-topology.js';

/** The installed plugin (the wrapper Nagios runs, which runs the bundle). */
const PLUGIN = path.resolve(path.dirname(CLI), '../../../bin/check_redis');
type Status = ClusterView & { processes: { name: string; pid: number }[] };

/** check_redis as the monitor user, as Nagios runs it (`via`: through an exporter); bounded. */
function check(
  port: number,
  secret: string,
  ...more: string[]
): Promise<{ code: number; out: string }> {
  const at = more.indexOf('--via');
  const via = at < 0 ? [] : more.splice(at, 2);
  return new Promise((resolve) => {
    const base = ['-H', '127.0.0.1', '-p', String(port), '--user', 'monitor', '-t', '5'];
    const args = [...via, ...base, ...more];
    // Through the exporter with only bash on PATH: an answer proves the exporter ran it.
    const bash = via.length ? onlyBash() : undefined;
    const env = { ...process.env, REDISCLI_AUTH: secret, ...(bash ? { PATH: bash } : {}) };
    const p = spawn(PLUGIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('close', (code) => {
      clearTimeout(t);
      if (bash) rmSync(bash, { recursive: true, force: true });
      resolve({ code: code ?? -1, out });
    });
  });
}

/** A directory with bash alone in it. */
function onlyBash(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'redis-ha-bash-'));
  symlinkSync('/bin/bash', path.join(d, 'bash'));
  return d;
}

/** Binds port as soon as the killed server's socket is gone; every connection refused at once. */
async function holdPort(port: number): Promise<net.Server> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const srv = net.createServer((s) => s.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
    });
    if (ok) return srv;
    if (Date.now() > deadline) throw new Error(`could not hold port ${port}`);
    await sleep(1);
  }
}

/** `redis-ha exporter` alone (as on a host): its own cluster view, the monitor user's. */
async function standaloneExporter(dir: string, file: string, monitor: string): Promise<void> {
  const listen = await freePort();
  const p = spawn(
    process.execPath,
    [CLI, 'exporter', '--listen', `127.0.0.1:${listen}`, '-f', file],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const closed = new Promise((resolve) => p.on('close', resolve));
  try {
    const text = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${listen}/metrics`, {
          headers: { authorization: basicAuth({ username: 'monitor', password: monitor }) },
          signal: AbortSignal.timeout(3000),
        }).catch(() => undefined);
        return r?.status === 200 ? r.text() : undefined;
      },
      { timeoutMs: 15_000, what: 'the standalone exporter' },
    );
    assert.equal(value(text, 'redis_ha_cluster_shard_has_synced_replica{shard="shard3"}'), 1);
  } finally {
    p.kill('SIGTERM');
    await Promise.race([closed, sleep(10_000, undefined, { ref: false })]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }
}

const series = (text: string, prefix: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .sort();
const value = (text: string, s: string): number | undefined => {
  const l = text.split('\n').find((x) => x.startsWith(`${s} `));
  return l === undefined ? undefined : Number(l.slice(s.length + 1));
};

test('cluster watch: check_redis OK per node and --cluster, WARNING naming the shard of a killed replica; /metrics shard labels stable across a failover', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-cwatch-'));
  const exporter = await freePort();
  const { file, ports } = await writeClusterTopology(dir, {
    lines: [`exporter: { listen: '127.0.0.1:${exporter}' }`],
  });
  const run = (args: string[]) => cli([...args, '-f', file], dir, 90_000);
  const status = async (): Promise<Status> =>
    JSON.parse((await run(['status', '--json'])).stdout) as Status;
  const secret = (who: string): string =>
    (
      JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
        users: Record<string, string>;
      }
    ).users[who] ?? '';
  const metrics = async (): Promise<string> => {
    const auth = basicAuth({ username: 'monitor', password: secret('monitor') });
    const r = await fetch(`http://127.0.0.1:${exporter}/metrics`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(r.status, 200);
    return r.text();
  };
  const port = (shard: number, member: number): number => ports[shard]?.[member] ?? 0;
  let failure: unknown;
  try {
    const up = await run(['up', '--detach']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`metrics: http://127.0.0.1:${exporter}/metrics`));
    const mon = secret('monitor');

    // A healthy cluster: OK on a primary and a replica, and as a whole from one seed.
    for (const p of [port(0, 0), port(1, 1)]) {
      const r = await check(p, mon);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /'cluster_slots_ok'=16384;;;0;16384/);
      assert.match(r.out, /'shard_replicas_synced'=1/);
      assert.match(r.out, /'slot_map_agreeing'=6;;;0;6/);
    }
    const whole = await check(port(2, 0), mon, '--cluster');
    assert.equal(whole.code, 0, whole.out);
    assert.match(whole.out, /^REDIS OK - cluster of 3 shards, 6\/6 nodes answering/);
    assert.match(whole.out, /'shards_ok'=3/);
    // The same run by the exporter's resident check service (a bash start instead of Node's).
    const via = await check(port(2, 0), mon, '--cluster', '--via', `127.0.0.1:${exporter}`);
    assert.equal(via.code, 0, via.out);
    assert.match(via.out, /^REDIS OK - cluster of 3 shards/);

    // /metrics: the topology's shard names on every series.
    const before = await metrics();
    for (const s of ['shard1', 'shard2', 'shard3'])
      assert.equal(value(before, `redis_ha_cluster_shard_has_synced_replica{shard="${s}"}`), 1);
    assert.equal(value(before, 'redis_ha_node_is_primary{node="shard1-1",shard="shard1"}'), 1);
    assert.equal(value(before, 'redis_ha_cluster_state{node="shard2-2",shard="shard2"}'), 1);
    await standaloneExporter(dir, file, secret('monitor'));

    // A replica killed by PID: WARNING naming its shard (by its slots) until it is back. Its
    // controller restarts it within milliseconds; holding its port keeps it down long enough.
    const victim = (await status()).processes.find((p) => p.name === 'shard2-2')?.pid ?? 0;
    process.kill(victim, 'SIGKILL');
    const hold = await holdPort(port(1, 1));
    try {
      const warned = await waitFor(
        async () => {
          const r = await check(port(1, 0), mon, '--cluster');
          return r.code === 1 ? r.out : undefined;
        },
        { timeoutMs: 10_000, what: 'check_redis --cluster WARNING for shard2' },
      );
      assert.match(
        warned,
        /^REDIS WARNING - .*shard slots 5461-10922 \(primary 127\.0\.0\.1:\d+\): no synced replica \(replica 127\.0\.0\.1:\d+ is unreachable\)/,
      );
      const node = await check(port(1, 0), mon);
      assert.equal(node.code, 1, node.out);
      assert.match(node.out, /shard slots 5461-10922 .*no synced replica/);
    } finally {
      hold.close();
    }
    await waitFor(
      async () => {
        const r = await check(port(1, 0), mon);
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the replica restarted and synced' },
    );

    // A planned failover of shard1: its series keep their labels, the primary moves inside it.
    const admin = new Redis({ port: port(0, 1), username: 'admin', password: secret('admin') });
    try {
      await admin.call('CLUSTER', 'FAILOVER');
    } finally {
      admin.disconnect();
    }
    const after = await waitFor(
      async () => {
        const m = await metrics();
        const moved =
          value(m, 'redis_ha_node_is_primary{node="shard1-2",shard="shard1"}') === 1 &&
          value(m, 'redis_ha_cluster_shard_has_synced_replica{shard="shard1"}') === 1;
        return moved ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'shard1-2 the primary of shard1 in /metrics' },
    );
    assert.equal(value(after, 'redis_ha_node_is_primary{node="shard1-1",shard="shard1"}'), 0);
    for (const prefix of ['redis_up', 'redis_ha_node_is_primary', 'redis_ha_cluster_shard_'])
      assert.deepEqual(series(after, prefix), series(before, prefix), prefix);
  } catch (e) {
    failure = e;
    process.stderr.write(`\n=== cluster watch failed:\n${(await run(['status'])).stdout}\n`);
  } finally {
    const down = await run(['down']);
    const left = processesUnder(dir);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const leaked = secretLeaks(path.join(dir, '.redis-ha'));
    rmSync(dir, { recursive: true, force: true });
    failure ??= down.code !== 0 ? new Error(`down failed: ${down.stderr}`) : undefined;
    failure ??= left.length ? new Error(`processes left: ${left.join(', ')}`) : undefined;
    failure ??= leaked.length ? new Error(`a secret in ${leaked.join(', ')}`) : undefined;
  }
  if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
});
