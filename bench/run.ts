/**
 * Foundation benchmarks (issue: `redis-ha up`). Run with `npm run bench`; prints a markdown table
 * and writes bench/results/foundation-<date>.json. Every run is side by side in one process.
 *   1. `up` to verified healthy, default topology, vs the same with Redis's default 5s diskless delay.
 *   2. kill -9 of the primary to the first acknowledged write, default timings,
 *      with min-replicas-to-write 1 (default) and 0.
 */
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { seedCluster, stats } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function timeUp(extra: string): Promise<{ wallMs: number; supervisorMs: number }> {
  const c = await seedCluster(extra);
  try {
    const t0 = performance.now();
    await c.up();
    const wallMs = performance.now() - t0;
    const events = readFileSync(path.join(c.dir, '.redis-ha/events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string; kind: string });
    const first = Date.parse(events[0]?.ts ?? '');
    const healthy = Date.parse(events.find((e) => e.kind === 'healthy')?.ts ?? '');
    return { wallMs, supervisorMs: healthy - first };
  } finally {
    await c.down();
  }
}

/** A client that follows Sentinel by polling: asks any sentinel, writes, retries every 10ms. */
async function killToFirstWrite(extra: string): Promise<{ writeMs: number; switchMs: number }> {
  const c = await seedCluster(extra);
  let sentinels: Redis[] = [];
  const clients = new Map<string, Redis>();
  try {
    await c.up();
    sentinels = c.sentinelPorts.map(
      (port) =>
        new Redis({
          port,
          password: c.sentinelPassword(),
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          retryStrategy: () => 50,
        }),
    );
    await Promise.all(sentinels.map((s) => s.connect().catch(() => undefined)));
    for (const s of sentinels) s.on('error', () => undefined);
    const killAt = performance.now();
    process.kill(c.pidOf('redis01'), 'SIGKILL');
    let switchMs = NaN;
    for (;;) {
      const elapsed = performance.now() - killAt;
      if (elapsed > 60_000) throw new Error('no write acknowledged within 60s');
      let addr: string[] | undefined;
      for (const s of sentinels) {
        addr = (await s
          .call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')
          .catch(() => undefined)) as string[] | undefined;
        if (addr) break;
      }
      if (addr && Number(addr[1]) === c.ports[1] && Number.isNaN(switchMs)) switchMs = elapsed;
      if (addr && Number(addr[1]) === c.ports[1]) {
        const key = addr.join(':');
        let r = clients.get(key);
        if (!r) {
          r = new Redis({
            host: addr[0],
            port: Number(addr[1]),
            password: c.password(),
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            lazyConnect: true,
            retryStrategy: () => 20,
          });
          r.on('error', () => undefined);
          await r.connect().catch(() => undefined);
          clients.set(key, r);
        }
        const ok = await r.set('bench', String(elapsed)).catch(() => undefined);
        if (ok === 'OK') return { writeMs: performance.now() - killAt, switchMs };
      }
      await sleep(10);
    }
  } finally {
    for (const s of sentinels) s.disconnect();
    for (const r of clients.values()) r.disconnect();
    await c.down();
  }
}

const fmt = (x: number): string => `${(x / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const up: { wallMs: number; supervisorMs: number }[] = [];
  const upRedisDefault: { wallMs: number; supervisorMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved: the machine is shared, so both variants see the same noise.
    up.push(await timeUp(''));
    upRedisDefault.push(await timeUp('replication: { disklessSyncDelay: 5s }'));
  }
  const fo: { writeMs: number; switchMs: number }[] = [];
  const foNoMin: { writeMs: number; switchMs: number }[] = [];
  const fo1s: { writeMs: number; switchMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    fo.push(await killToFirstWrite(''));
    foNoMin.push(await killToFirstWrite('replication: { minReplicasToWrite: 0 }'));
    fo1s.push(await killToFirstWrite('sentinel: { downAfter: 1s }'));
  }
  const r = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`,
    runs: RUNS,
    upWall: stats(up.map((x) => x.wallMs)),
    upSupervisor: stats(up.map((x) => x.supervisorMs)),
    upWallRedisDefaultDelay: stats(upRedisDefault.map((x) => x.wallMs)),
    failoverWrite: stats(fo.map((x) => x.writeMs)),
    failoverSwitch: stats(fo.map((x) => x.switchMs)),
    failoverWriteNoMinReplicas: stats(foNoMin.map((x) => x.writeMs)),
    failoverWriteDownAfter1s: stats(fo1s.map((x) => x.writeMs)),
  };
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `foundation-${r.date.slice(0, 10)}.json`),
    JSON.stringify(r, null, 2) + '\n',
  );
  const row = (name: string, s: { min: number; median: number; max: number }): string =>
    `| ${name} | ${fmt(s.min)} | **${fmt(s.median)}** | ${fmt(s.max)} |`;
  process.stdout.write(
    [
      `${r.date} — ${r.machine} — ${RUNS} runs each, interleaved`,
      '',
      '| measure | min | median | max |',
      '| --- | --- | --- | --- |',
      row('`up --detach` -> healthy (wall, incl. CLI start)', r.upWall),
      row('supervisor: first step -> verified healthy', r.upSupervisor),
      row('same `up`, Redis default diskless delay 5s', r.upWallRedisDefaultDelay),
      row('kill -9 primary -> sentinels name redis02', r.failoverSwitch),
      row('kill -9 primary -> first acknowledged write (min-replicas 1)', r.failoverWrite),
      row(
        'kill -9 primary -> first acknowledged write (min-replicas 0)',
        r.failoverWriteNoMinReplicas,
      ),
      row('same, down-after 1s (field notes: 2.3 s)', r.failoverWriteDownAfter1s),
      '',
    ].join('\n'),
  );
}

await main();
