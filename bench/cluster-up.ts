/**
 * Cluster formation (`npm run bench:cluster-up`): 3 shards x 2 nodes (3 primaries, 3 replicas) on
 * loopback, to verified healthy (cluster_state:ok on every node, one slot map, distinct epochs,
 * every replica synced by the strict rule: linked, caught up, stream confirmed by its primary).
 * Interleaved runs of:
 *  - ours, `redis-ha up --detach` (the CLI, wall time from its start to its exit);
 *  - ours in-process (`startCluster`, what `up` runs): spawn -> every node answers -> healthy;
 *  - `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes` on identical nodes (the
 *    same rendered redis.conf): spawn -> answering -> create returned -> cluster_state:ok on all
 *    -> healthy by the same strict check (formCluster on the formed cluster only verifies);
 *  - the same with Redis's default repl-diskless-sync-delay (5 s), the anchor.
 * Every node on free ports whose bus ports are free, in a temp dir, stopped by PID.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { formCluster } from '../src/cluster/form.js';
import { prepareCluster, startCluster } from '../src/cluster/start.js';
import { LocalProcesses } from '../src/backends/local.js';
import { fixedSecrets } from '../src/state/live-secrets.js';
import { Links } from '../src/view/links.js';
import { findRedis } from '../src/backends/redis-bin.js';
import { loadTopology } from '../src/topology/load.js';
import { clusterNodes, type BoundTopology } from '../src/topology/model.js';
import { parseClusterNodes } from '../src/cluster/parse.js';
import { cli } from '../test/helpers/cluster.js';
import { writeClusterTopology } from '../test/helpers/cluster-topology.js';
import { stats } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LINES = ['auth: { mode: password }'];
const run = promisify(execFile);

type Sample = Record<string, number>;

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-ha-bench-cluster-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oursCli(): Promise<Sample> {
  return inTemp(async (dir) => {
    await writeClusterTopology(dir, { lines: LINES });
    const t0 = performance.now();
    const r = await cli(['up', '--detach'], dir, 60_000);
    const wall = performance.now() - t0;
    const down = await cli(['down'], dir, 60_000);
    if (r.code !== 0 || down.code !== 0)
      throw new Error(`up/down failed:\n${r.stderr}\n${down.stderr}`);
    const reported = /\((\d+\.\d+)s to healthy\)/.exec(r.stdout)?.[1];
    return { wall, reported: Number(reported ?? NaN) * 1000 };
  });
}

async function oursLib(): Promise<Sample> {
  return inTemp(async (dir) => {
    const { file } = await writeClusterTopology(dir, { lines: LINES });
    const marks: Record<string, number> = {};
    const t0 = performance.now();
    const c = await startCluster(loadTopology({ file }), {
      progress: (line) => {
        const at = performance.now() - t0;
        if (line.startsWith('starting ')) marks.spawned ??= at;
        if (line.startsWith('forming ')) marks.answering ??= at;
      },
    });
    const healthy = performance.now() - t0;
    await c.stop();
    return {
      spawned: marks.spawned ?? NaN,
      answering: marks.answering ?? NaN,
      healthy,
      fromSpawn: healthy - (marks.spawned ?? NaN),
    };
  });
}

/** `lines`: extra topology lines (Redis's default diskless sync delay, for the anchor). */
async function redisCli(lines: string[] = []): Promise<Sample> {
  return inTemp(async (dir) => {
    const { file, ports } = await writeClusterTopology(dir, { lines: [...LINES, ...lines] });
    const bins = await findRedis();
    const { t, dir: state, secrets } = await prepareCluster(loadTopology({ file }));
    const procs = new LocalProcesses({ t, dir: state, bins, secrets: fixedSecrets(secrets) });
    const links = new Links(t, fixedSecrets(secrets));
    const nodes = clusterNodes(t);
    try {
      const t0 = performance.now();
      for (const n of t.nodes) procs.spawn(n);
      const ping = async (): Promise<boolean> =>
        (
          await Promise.all(
            nodes.map((n) =>
              links
                .get(n)
                .ping()
                .catch(() => ''),
            ),
          )
        ).every((p) => p === 'PONG');
      while (!(await ping())) await sleep(10);
      const answering = performance.now() - t0;
      let allOk = NaN;
      // Until every node says ok (the strict check below implies it, so this ends too).
      const until = performance.now() + 60_000;
      const poller = (async () => {
        while (Number.isNaN(allOk) && performance.now() < until) {
          const infos = await Promise.all(
            nodes.map((n) =>
              links
                .get(n)
                .call('CLUSTER', 'INFO')
                .then(String)
                .catch(() => ''),
            ),
          );
          if (infos.every((i) => i.includes('cluster_state:ok'))) allOk = performance.now() - t0;
          else await sleep(20);
        }
      })();
      const order = [...ports.map((p) => p[0]), ...ports.map((p) => p[1])];
      await run(
        bins.cli,
        [
          '--cluster',
          'create',
          ...order.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { env: { ...process.env, REDISCLI_AUTH: secrets.redisPassword }, timeout: 60_000 },
      );
      const created = performance.now() - t0;
      // redis-cli pairs replicas with primaries at random (equal-score anti-affinity swaps are
      // kept): verify against the pairing it made.
      await formCluster(await asFormed(t, links), { links, progress: () => undefined });
      const healthy = performance.now() - t0;
      await poller;
      return { answering, created, allOk, healthy, fromAnswering: healthy - answering };
    } finally {
      links.close();
      await procs.stopAll(undefined, 5000);
    }
  });
}

/** The topology with its shards as the cluster has them (each node's own CLUSTER NODES line). */
async function asFormed(t: BoundTopology, links: Links): Promise<BoundTopology> {
  const selves = await Promise.all(
    clusterNodes(t).map(async (n) => {
      const me = parseClusterNodes(String(await links.get(n).call('CLUSTER', 'NODES'))).find(
        (e) => e.myself,
      );
      return { name: n.name, id: me?.id, primaryId: me?.primaryId, slots: me?.slots.length ?? 0 };
    }),
  );
  const shards = selves
    .filter((s) => s.slots > 0)
    .map((p, i) => ({
      name: `shard${i + 1}`,
      primary: p.name,
      replicas: selves.filter((r) => r.primaryId === p.id).map((r) => r.name),
    }));
  return { ...t, cluster: { nodeTimeoutMs: t.cluster?.nodeTimeoutMs ?? 2000, shards } };
}

function row(name: string, xs: number[]): string {
  const s = stats(xs.filter((x) => !Number.isNaN(x)));
  const f = (ms: number): string => (ms / 1000).toFixed(2);
  return `| ${name} | ${f(s.median)} s | ${f(s.min)} - ${f(s.max)} s | ${s.n} |`;
}

async function main(): Promise<void> {
  const results: Record<'ours' | 'lib' | 'cli' | 'cli5', Sample[]> = {
    ours: [],
    lib: [],
    cli: [],
    cli5: [],
  };
  for (let i = 0; i < RUNS; i++) {
    results.ours.push(await oursCli());
    results.lib.push(await oursLib());
    results.cli.push(await redisCli());
    results.cli5.push(await redisCli(['replication: { disklessSyncDelay: 5s }']));
    const last = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.at(-1)]));
    process.stderr.write(`run ${i + 1}/${RUNS}: ${JSON.stringify(last)}\n`);
  }
  const col = (xs: Sample[], k: string): number[] => xs.map((x) => x[k] ?? NaN);
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${(await findRedis()).version}`;
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `${date}, ${machine}, ${RUNS} runs each, interleaved; 3 primaries + 3 replicas on loopback, node-timeout 2s, diskless sync delay 0 unless said`,
    '',
    '| to verified healthy (strict: cluster_state:ok on all, one slot map, distinct epochs, replicas synced) | median | min - max | runs |',
    '| --- | --- | --- | --- |',
    row('`redis-ha up --detach` (CLI start to exit)', col(results.ours, 'wall')),
    row(
      '`redis-ha up --detach` (as it reports: its start to healthy)',
      col(results.ours, 'reported'),
    ),
    row('`startCluster` in process (what `up` runs): call to healthy', col(results.lib, 'healthy')),
    row('... from the first node spawned', col(results.lib, 'fromSpawn')),
    row('... every node answering (then formation starts)', col(results.lib, 'answering')),
    row(
      'redis-cli on identical nodes: spawn to every node answering',
      col(results.cli, 'answering'),
    ),
    row('redis-cli: spawn to `--cluster create` returned', col(results.cli, 'created')),
    row('redis-cli: spawn to cluster_state:ok on all 6', col(results.cli, 'allOk')),
    row('redis-cli: spawn to healthy (same strict check)', col(results.cli, 'healthy')),
    row(
      'redis-cli, Redis default diskless sync delay 5s: spawn to cluster_state:ok',
      col(results.cli5, 'allOk'),
    ),
    row(
      'redis-cli, Redis default diskless sync delay 5s: spawn to healthy',
      col(results.cli5, 'healthy'),
    ),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, `cluster-up-${date}.json`),
    JSON.stringify({ date, machine, runs: RUNS, results }, null, 2) + '\n',
  );
}

await main();
