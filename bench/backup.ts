/**
 * A backup of BENCH_GB (default 1) GB from the replica, under a latency probe on the primary
 * (sequential SETs on a connection of its own, as an application's): the probe's p50 / p99
 * during each `redis-ha backup` against a window of the same length without one just before
 * (BENCH_RUNS pairs, default 3). Then `down`, the nodes' data set aside, `restore`, `up` and
 * `restore --verify`, each timed. Writes bench/results/backup-DATE.json.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadDataset } from '../src/drill/dataset.js';
import { cli } from '../test/helpers/cluster.js';
import { seedCluster, stats, type BenchCluster } from './lib.js';

const GB = Number(process.env.BENCH_GB ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Sequential SETs until stopped; each latency in ms. */
function probe(port: number, password: string): { stop: () => Promise<number[]> } {
  const r = new Redis({ host: '127.0.0.1', port, password });
  r.on('error', () => undefined);
  const ms: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      try {
        await r.set(`probe:${i % 1000}`, 'x');
        ms.push(performance.now() - t0);
      } catch {
        await sleep(1);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      r.disconnect();
      return ms;
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function timed(c: BenchCluster, args: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  const r = await cli(args, c.dir, 900_000);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return { ms: Math.round(performance.now() - t0), out: r.stdout };
}

const c = await seedCluster(
  `memory: { maxmemory: ${Math.ceil(GB * 1.5 + 0.5)}gb }\nreplication: { syncTimeout: 300s }`,
);
await c.up();
const primaryPort = c.ports[0]!;
const loader = new Redis({ host: '127.0.0.1', port: primaryPort, password: c.password() });
await loadDataset(loader, GB * 2 ** 30, (l) => process.stderr.write(`${GB} GB: ${l}\n`));
loader.disconnect();
await sleep(5000); // the replica caught up, the load's own save points settle

const pairs: { backupMs: number; idle: number[]; during: number[] }[] = [];
const backups: string[] = [];
for (let i = 1; i <= RUNS; i++) {
  const to = path.join(c.dir, `bench-backup-${i}`);
  const p = probe(primaryPort, c.password());
  const b = await timed(c, ['backup', '--to', to]);
  const during = await p.stop();
  backups.push(to);
  await sleep(2000);
  const q = probe(primaryPort, c.password());
  await sleep(b.ms); // the same length, no backup
  const idle = await q.stop();
  pairs.push({ backupMs: b.ms, idle, during });
  console.log(
    `#${i} backup ${b.ms} ms: p50 ${round(pct(during, 50))} / p99 ${round(pct(during, 99))} ms during, ${round(pct(idle, 50))} / ${round(pct(idle, 99))} ms without (${during.length} / ${idle.length} samples)`,
  );
}

// Restore the last one into the stopped topology, then verify it.
const from = backups.at(-1)!;
await timed(c, ['down']);
for (const node of ['redis01', 'redis02']) {
  const dir = path.join(c.dir, '.redis-ha/nodes', node);
  for (const f of readdirSync(dir))
    if (f === 'dump.rdb' || f === 'appendonlydir')
      renameSync(path.join(dir, f), path.join(dir, `${f}.wiped`));
}
const restore = await timed(c, ['restore', from]);
const up = await timed(c, ['up', '--detach']);
const verify = await timed(c, ['restore', from, '--verify']);
await c.down();

const rows = {
  backupMs: stats(pairs.map((x) => x.backupMs)),
  p50: {
    during: stats(pairs.map((x) => round(pct(x.during, 50)))),
    idle: stats(pairs.map((x) => round(pct(x.idle, 50)))),
  },
  p99: {
    during: stats(pairs.map((x) => round(pct(x.during, 99)))),
    idle: stats(pairs.map((x) => round(pct(x.idle, 99)))),
    rise: stats(pairs.map((x) => round(pct(x.during, 99) - pct(x.idle, 99)))),
  },
};
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' ')}`;
const result = {
  date,
  machine,
  gb: GB,
  runs: RUNS,
  rows,
  restore: { restoreMs: restore.ms, upMs: up.ms, verifyMs: verify.ms, verify: verify.out.trim() },
};
const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, `backup-${date.slice(0, 10)}.json`),
  JSON.stringify(result, null, 2) + '\n',
);
console.log(`\n${date} — ${machine} — ${GB} GB, ${RUNS} pairs`);
console.log('| window | p50 ms | p99 ms |');
console.log('| --- | --- | --- |');
console.log(`| during backup | ${rows.p50.during.median} | ${rows.p99.during.median} |`);
console.log(`| same length, no backup | ${rows.p50.idle.median} | ${rows.p99.idle.median} |`);
console.log(
  `p99 rise: ${rows.p99.rise.min} / **${rows.p99.rise.median}** / ${rows.p99.rise.max} ms; backup ${rows.backupMs.median} ms`,
);
console.log(
  `restore ${restore.ms} ms, up ${up.ms} ms, verify ${verify.ms} ms: ${verify.out.trim()}`,
);
