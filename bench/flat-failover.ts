/**
 * Write availability after a failure, by dataset size (`npm run bench:flat`): kill -9 of the
 * primary, a freeze until another node is primary, a freeze that lasts 12 s, and a planned
 * switchover, at 0, 1 GB and 4 GB (BENCH_SIZES, in GB), BENCH_RUNS runs each (default 5), for
 * three client paths side by side, run by run: redis-ha's endpoint, HAProxy 2.6 with its
 * canonical role check, and ioredis's Sentinel client with its default options. The dataset
 * (incompressible 10 KB values) is loaded through the endpoint once per size. Each row: blackout
 * (fault -> first acknowledged write issued after it), longest gap, failed writes, lost
 * acknowledged writes, the single-copy window. Writes bench/results/flat-failover-DATE.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { withView } from '../src/view/with-view.js';
import { loadDataset } from '../src/drill/dataset.js';
import { runDrill, type DrillReport } from '../src/drill/drill.js';
import type { Fault } from '../src/drill/faults.js';
import { stats, type DrillRun } from '../src/drill/verdict.js';
import { freePort } from '../src/state/ports.js';
import { openState } from '../src/state/prepare.js';
import { terminate } from '../src/util/pids.js';
import { loadTopology } from '../src/topology/load.js';
import { bgsave } from '../src/ops/backup.js';
import { haproxyConfig } from './haproxy.js';
import { seedCluster, type BenchCluster } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '0,1,4').split(',').map(Number);
const GB = 2 ** 30;
/** `afterSave`: the primary's save point has just run (its RDB is recent) when it is killed. */
type Case = { fault: Fault; forMs?: number; afterSave?: boolean; label: string };
const CASES: Case[] = [
  { fault: 'kill', label: 'kill -9' },
  { fault: 'kill', afterSave: true, label: 'kill -9 after a save point' },
  { fault: 'freeze', label: 'freeze until another is primary' },
  { fault: 'freeze', forMs: 12_000, label: 'freeze 12 s' },
  { fault: 'switchover', label: 'switchover' },
];
const ALL_CLIENTS = ['endpoint', 'haproxy', 'ioredis-sentinel'] as const;
type ClientName = (typeof ALL_CLIENTS)[number];
// BENCH_CLIENTS / BENCH_CASES (substrings of the labels) narrow a rerun of some rows.
const CLIENTS = ALL_CLIENTS.filter((c) => (process.env.BENCH_CLIENTS ?? c).split(',').includes(c));
const PICKED = CASES.filter((k) =>
  (process.env.BENCH_CASES ?? k.label).split(',').some((x) => k.label.includes(x)),
);
/** BENCH_TRACE=1: each run's timeline printed; the state dir kept for its logs. */
const TRACE = process.env.BENCH_TRACE === '1';

/** Each client as an application has it: default options but for where and who. */
function connect(name: ClientName, c: BenchCluster, ports: { endpoint: number; haproxy: number }) {
  return (): Redis => {
    const r =
      name === 'ioredis-sentinel'
        ? new Redis({
            sentinels: c.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
            name: 'mymaster',
            password: c.password(),
            sentinelPassword: c.sentinelPassword(),
          })
        : new Redis({ host: '127.0.0.1', port: ports[name], password: c.password() });
    r.on('error', () => undefined);
    return r;
  };
}

async function startHaproxy(c: BenchCluster, port: number): Promise<ChildProcess> {
  const cfg = path.join(c.dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(c, port), { mode: 0o600 });
  const p = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  await sleep(1500); // its first health checks
  return p;
}

/** BGSAVE on the primary (after one under way), waited for: its RDB is as recent as can be. */
async function saveOnPrimary(c: BenchCluster): Promise<void> {
  for (const port of c.ports) {
    const r = new Redis({ host: '127.0.0.1', port, password: c.password(), lazyConnect: true });
    try {
      await r.connect();
      if (((await r.call('ROLE')) as unknown[])[0] !== 'master') continue;
      await bgsave(r, `primary :${port}`);
      return;
    } finally {
      r.disconnect();
    }
  }
}

interface Row {
  gb: number;
  fault: string;
  client: ClientName;
  runs: DrillRun[];
}

async function size(gb: number, rows: Row[]): Promise<void> {
  const endpoint = await freePort();
  const c = await seedCluster(
    `endpoint: { mode: proxy, listen: "127.0.0.1:${endpoint}" }\nmemory: { maxmemory: ${Math.max(1, Math.ceil(gb * 1.5 + 0.5))}gb }\nreplication: { syncTimeout: 300s }`,
  );
  let haproxy: ChildProcess | undefined;
  let ok = false;
  try {
    await c.up();
    const haproxyPort = await freePort();
    haproxy = await startHaproxy(c, haproxyPort);
    const ports = { endpoint, haproxy: haproxyPort };
    const p = await openState(loadTopology({ file: path.join(c.dir, 'redis-ha.yaml') }));
    if (gb > 0) {
      const loader = connect('endpoint', c, ports)();
      await loadDataset(loader, gb * GB, (l) => process.stderr.write(`${gb} GB: ${l}\n`));
      loader.disconnect();
    }
    for (const k of PICKED) {
      if (k.forMs && gb > 1) continue; // the lasting freeze: at 0 and 1 GB (the targets)
      const byClient = new Map<ClientName, DrillRun[]>(CLIENTS.map((x) => [x, []]));
      for (let run = 1; run <= RUNS; run++)
        for (const client of CLIENTS) {
          if (k.afterSave) await saveOnPrimary(c);
          const report: DrillReport = await withView(
            p,
            (view) =>
              runDrill(view, p.dir, {
                fault: k.fault,
                forMs: k.forMs,
                runs: 1,
                client: 'endpoint',
                connect: connect(client, c, ports),
                label: client,
                trace: TRACE,
                progress: (l) =>
                  process.stderr.write(`${gb} GB ${k.label} ${client} #${run}: ${l}\n`),
              }),
            { pollMs: 100 },
          );
          byClient.get(client)!.push(...report.runs);
          for (const r of TRACE ? report.runs : [])
            process.stderr.write(
              `  switches ${JSON.stringify(r.trace?.switches)}\n  phases ${JSON.stringify(r.trace?.phases)}\n`,
            );
        }
      for (const client of CLIENTS)
        rows.push({ gb, fault: k.label, client, runs: byClient.get(client)! });
    }
    ok = true;
  } finally {
    if (haproxy?.pid) await terminate(haproxy.pid, 2000);
    // A failed run keeps its logs too: they are the only record of what went wrong.
    const keep = TRACE || !ok;
    if (keep) process.stderr.write(`state kept for its logs: ${c.dir} (stopped)\n`);
    await c.down(keep);
  }
}

const rows: Row[] = [];
for (const gb of SIZES) await size(gb, rows);

const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, `flat-failover-${date.slice(0, 10)}${process.env.BENCH_TAG ?? ''}.json`),
  JSON.stringify({ date, machine, runs: RUNS, rows }, null, 2) + '\n',
);
const s = (xs: (number | null | undefined)[]): string => {
  const st = stats(xs.map((x) => x ?? NaN));
  return st
    ? `${Math.round(st.min)} / **${Math.round(st.median)}** / ${Math.round(st.max)}`
    : 'n/a';
};
const sum = (runs: DrillRun[], f: (r: DrillRun) => number): number =>
  runs.reduce((n, r) => n + f(r), 0);
process.stdout.write(
  [
    `${date} — ${machine} — ${RUNS} runs per row, the three clients interleaved run by run`,
    '',
    '| dataset | fault | client | blackout ms | longest gap ms | single copy ms | failed writes | lost |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.gb} GB | ${r.fault} | ${r.client} | ${s(r.runs.map((x) => x.blackoutMs))} | ${s(r.runs.map((x) => x.maxGapMs))} | ${s(r.runs.map((x) => x.singleCopyMs))} | ${sum(r.runs, (x) => x.errors)} | ${sum(r.runs, (x) => x.lost)} |`,
    ),
    '',
  ].join('\n'),
);
