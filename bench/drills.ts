/**
 * Drills as benchmarks (`npm run bench:drills`, BENCH_RUNS=10): kill, freeze and switchover on the
 * seed topology with default timings and the endpoint on, each through the endpoint and through
 * ioredis's Sentinel client, one after the other in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withView } from '../src/view/with-view.js';
import { runDrill, type DrillReport } from '../src/drill/drill.js';
import type { Fault } from '../src/drill/faults.js';
import type { ClientKind } from '../src/drill/writer.js';
import { freePort } from '../src/state/ports.js';
import { openState } from '../src/state/prepare.js';
import { loadTopology } from '../src/topology/load.js';
import { seedCluster } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const c = await seedCluster(`endpoint: { mode: proxy, listen: "127.0.0.1:${await freePort()}" }`);
const reports: DrillReport[] = [];
try {
  await c.up();
  const p = await openState(loadTopology({ file: path.join(c.dir, 'redis-ha.yaml') }));
  for (const fault of ['kill', 'freeze', 'switchover'] as Fault[]) {
    for (const client of ['endpoint', 'sentinel'] as ClientKind[]) {
      const run = (view: Parameters<typeof runDrill>[0]): Promise<DrillReport> =>
        runDrill(view, p.dir, {
          fault,
          runs: RUNS,
          client,
          progress: (l) => process.stderr.write(`${fault}/${client} ${l}\n`),
        });
      reports.push(await withView(p, run, { pollMs: 100 }));
    }
  }
} finally {
  await c.down();
}
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, `drills-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, runs: RUNS, reports }, null, 2) + '\n',
);
const s = (x: { min: number; median: number; max: number } | null): string =>
  x ? `${Math.round(x.min)} / **${Math.round(x.median)}** / ${Math.round(x.max)}` : 'n/a';
process.stdout.write(
  [
    `${date} — ${machine} — ${RUNS} runs per row`,
    '',
    '| fault | client | blackout ms (min / median / max) | max write gap ms | healthy after ms | acked writes | lost | acked by a non-primary |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...reports.map(
      (r) =>
        `| ${r.fault} | ${r.client} | ${s(r.summary.blackoutMs)} | ${s(r.summary.maxGapMs)} | ${s(r.summary.healthyAfterMs)} | ${r.runs.reduce((n, x) => n + x.acked, 0)} | ${r.summary.lost} | ${r.summary.nonPrimaryAcks} |`,
    ),
    '',
  ].join('\n'),
);
