/**
 * Blackout after kill -9 of the primary: time from the kill to the first write acknowledged by
 * the new primary, for three clients of the same redis-ha topology (default timings), interleaved
 * run by run: through redis-ha's endpoint; through HAProxy 2.6 (Debian) with the canonical
 * `tcp-check` AUTH/PING/`info replication`/`role:master`, `inter 1s fall 1 rise 1`,
 * `on-marked-down shutdown-sessions`; and ioredis's Sentinel client (the sentinel-aware reference).
 * `npm run bench:endpoint` (BENCH_RUNS=10 by default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../src/state/ports.js';
import { terminate } from '../src/util/pids.js';
import { haproxyConfig } from './haproxy.js';
import { seedCluster, stats, type BenchCluster } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
type Variant = 'endpoint' | 'haproxy' | 'ioredis-sentinel';

function client(variant: Variant, c: BenchCluster, port: number): Redis {
  const common = {
    password: c.password(),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => 5,
    connectTimeout: 500,
  };
  if (variant === 'ioredis-sentinel') {
    return new Redis({
      ...common,
      sentinels: c.sentinelPorts.map((p) => ({ host: '127.0.0.1', port: p })),
      name: 'mymaster',
      sentinelPassword: c.sentinelPassword(),
      sentinelRetryStrategy: () => 5,
    });
  }
  return new Redis({ ...common, host: '127.0.0.1', port });
}

async function once(variant: Variant): Promise<number> {
  const endpointPort = await freePort();
  const c = await seedCluster(
    variant === 'endpoint' ? `endpoint: { mode: proxy, listen: "127.0.0.1:${endpointPort}" }` : '',
  );
  let haproxy: ChildProcess | undefined;
  let r: Redis | undefined;
  try {
    await c.up();
    let port = endpointPort;
    if (variant === 'haproxy') {
      port = await freePort();
      const cfg = path.join(c.dir, 'haproxy.cfg');
      writeFileSync(cfg, haproxyConfig(c, port), { mode: 0o600 });
      haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
      await sleep(1500); // first health checks
    }
    r = client(variant, c, port);
    r.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    while ((await r.set('k', 'v').catch(() => null)) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`${variant}: no write before the fault`);
      await sleep(20);
    }
    const t0 = performance.now();
    process.kill(c.pidOf('redis01'), 'SIGKILL');
    for (;;) {
      if (performance.now() - t0 > 60_000) throw new Error(`${variant}: no write within 60s`);
      const ok = await r.set('k', String(t0)).catch(() => null);
      if (ok === 'OK') return performance.now() - t0;
      await sleep(5);
    }
  } finally {
    r?.disconnect();
    if (haproxy?.pid) await terminate(haproxy.pid, 2000);
    await c.down();
  }
}

const variants: Variant[] = ['endpoint', 'haproxy', 'ioredis-sentinel'];
const results: Record<Variant, number[]> = { endpoint: [], haproxy: [], 'ioredis-sentinel': [] };
for (let i = 0; i < RUNS; i++) {
  for (const v of variants) {
    const ms = await once(v);
    results[v].push(ms);
    process.stderr.write(`run ${i + 1} ${v}: ${Math.round(ms)} ms\n`);
  }
}
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const summary = Object.fromEntries(variants.map((v) => [v, stats(results[v])]));
const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, `endpoint-kill-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, runs: RUNS, results, summary }, null, 2) + '\n',
);
const fmt = (x: number): string => `${(x / 1000).toFixed(2)} s`;
process.stdout.write(
  [
    `${date} — ${machine} — ${RUNS} runs each, interleaved; kill -9 of the primary -> first acknowledged write`,
    '',
    '| client path | min | median | max |',
    '| --- | --- | --- | --- |',
    ...variants.map(
      (v) =>
        `| ${v} | ${fmt(summary[v]!.min)} | **${fmt(summary[v]!.median)}** | ${fmt(summary[v]!.max)} |`,
    ),
    '',
  ].join('\n'),
);
