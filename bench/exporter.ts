/**
 * /metrics scrape time and memory vs Debian's prometheus-redis-exporter 1.45 (`npm run
 * bench:exporter`). The same running topology (2 nodes, 3 sentinels, the endpoint): redis-ha's
 * exporter alone (`redis-ha exporter`), the one `up` serves in the supervisor process, and
 * redis_exporter as deployed for it (one process per target). ROUNDS interleaved rounds over
 * keep-alive HTTP, as Prometheus scrapes; medians. RSS from /proc after the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/state/ports.js';
import { terminate } from '../src/util/pids.js';
import { CLI } from '../test/helpers/cluster.js';
import { median, seedCluster } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const WARMUP = 10;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** Our scrapes authenticate as the monitor user (HTTP Basic); redis_exporter ignores the header. */
let authorization = '';

function get(port: number): Promise<{ ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = { authorization };
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve({ ms: performance.now() - t0, body })
          : reject(new Error(`:${port} answered ${res.statusCode}`)),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`:${port} timed out`)));
    req.on('error', reject);
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const series = (body: string): number =>
  body.split('\n').filter((l) => l && !l.startsWith('#')).length;

async function waitHttp(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await get(port);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what} never answered: ${String(e)}`);
      await sleep(100);
    }
  }
}

const upPort = await freePort();
const epPort = await freePort();
const c = await seedCluster(
  `endpoint: { mode: proxy, listen: "127.0.0.1:${epPort}" }\nexporter: { listen: "127.0.0.1:${upPort}" }`,
);
const children: ChildProcess[] = [];
const results: Record<string, unknown> = {};
try {
  await c.up();
  const ours = await freePort();
  const alone = spawn(process.execPath, [CLI, 'exporter', '--listen', `127.0.0.1:${ours}`], {
    cwd: c.dir,
    stdio: 'ignore',
  });
  children.push(alone);
  const targets = [
    ...c.ports.map((p, i) => ({ name: `redis0${i + 1}`, port: p, pw: c.password() })),
    ...c.sentinelPorts.map((p, i) => ({ name: `s${i + 1}`, port: p, pw: c.sentinelPassword() })),
  ];
  const theirs: { name: string; port: number; proc: ChildProcess }[] = [];
  for (const tg of targets) {
    const port = await freePort();
    const proc = spawn(
      'prometheus-redis-exporter',
      [`-redis.addr=redis://127.0.0.1:${tg.port}`, `-web.listen-address=127.0.0.1:${port}`],
      // A throwaway temp cluster's password, through the environment (not argv).
      { stdio: 'ignore', env: { ...process.env, REDIS_PASSWORD: tg.pw } },
    );
    children.push(proc);
    theirs.push({ name: tg.name, port, proc });
  }
  await waitHttp(ours, 'redis-ha exporter');
  for (const t of theirs) await waitHttp(t.port, `redis_exporter for ${t.name}`);

  authorization = `Basic ${Buffer.from(`monitor:${c.password()}`).toString('base64')}`;
  const times: Record<string, number[]> = {
    'redis-ha exporter (whole topology, one scrape)': [],
    'redis-ha in `up` (whole topology, one scrape)': [],
    'redis_exporter, 5 targets scraped in parallel (slowest)': [],
    'redis_exporter, 5 targets one after another (sum)': [],
  };
  const perTarget: Record<string, number[]> = {};
  const bodies: Record<string, string> = {};
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const record = i >= WARMUP;
    const steps = [
      async () => {
        const r = await get(ours);
        bodies.ours = r.body;
        if (record) times['redis-ha exporter (whole topology, one scrape)']!.push(r.ms);
      },
      async () => {
        const r = await get(upPort);
        if (record) times['redis-ha in `up` (whole topology, one scrape)']!.push(r.ms);
      },
      async () => {
        const t0 = performance.now();
        await Promise.all(theirs.map((t) => get(t.port)));
        if (record)
          times['redis_exporter, 5 targets scraped in parallel (slowest)']!.push(
            performance.now() - t0,
          );
      },
      async () => {
        let sum = 0;
        for (const t of theirs) {
          const r = await get(t.port);
          sum += r.ms;
          bodies[t.name] = r.body;
          if (record) (perTarget[t.name] ??= []).push(r.ms);
        }
        if (record) times['redis_exporter, 5 targets one after another (sum)']!.push(sum);
      },
    ];
    // Rotate who goes first: the machine is shared and noisy.
    for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
  }
  const memory = {
    'redis-ha exporter': rssBytes(alone.pid ?? 0),
    'redis_exporter (5 processes, sum)': theirs.reduce((s, t) => s + rssBytes(t.proc.pid ?? 0), 0),
    'redis_exporter (one process, median)': median(theirs.map((t) => rssBytes(t.proc.pid ?? 0))),
  };
  const seriesCount = {
    'redis-ha exporter': series(bodies.ours ?? ''),
    'redis_exporter (5 targets)': theirs.reduce((s, t) => s + series(bodies[t.name] ?? ''), 0),
  };
  Object.assign(results, { times, perTarget, memory, seriesCount });
} finally {
  for (const ch of children) if (ch.pid) await terminate(ch.pid, 5000);
  await c.down();
  agent.destroy();
}

const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(
  path.join(root, `bench/results/exporter-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, rounds: ROUNDS, ...results }, null, 2) + '\n',
);
const { times, perTarget, memory, seriesCount } = results as {
  times: Record<string, number[]>;
  perTarget: Record<string, number[]>;
  memory: Record<string, number>;
  seriesCount: Record<string, number>;
};
const ref = median(times['redis-ha exporter (whole topology, one scrape)'] ?? []);
const lines = [
  `${date} — ${machine} — ${ROUNDS} rounds interleaved (after ${WARMUP} warm-up), keep-alive HTTP`,
  '',
  '| scrape | min | median | max | median / redis-ha exporter |',
  '| --- | --- | --- | --- | --- |',
  ...Object.entries(times).map(
    ([k, xs]) =>
      `| ${k} | ${Math.min(...xs).toFixed(2)} ms | **${median(xs).toFixed(2)} ms** | ${Math.max(...xs).toFixed(2)} ms | ${(median(xs) / ref).toFixed(2)} |`,
  ),
  ...Object.entries(perTarget).map(
    ([k, xs]) =>
      `| redis_exporter, ${k} alone | ${Math.min(...xs).toFixed(2)} ms | ${median(xs).toFixed(2)} ms | ${Math.max(...xs).toFixed(2)} ms | ${(median(xs) / ref).toFixed(2)} |`,
  ),
  '',
  '| memory (RSS after the run) | MiB |',
  '| --- | --- |',
  ...Object.entries(memory).map(([k, v]) => `| ${k} | ${(v / 1048576).toFixed(1)} |`),
  '',
  `series per scrape of the topology: ${Object.entries(seriesCount)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
];
process.stdout.write(lines.join('\n') + '\n');
