/**
 * Endpoint throughput vs direct and vs HAProxy 2.6 (`npm run bench:throughput`): redis-benchmark
 * -c 50 -t set,get -n 200000 at -P 1 and -P 16, each path in turn, ROUNDS rounds interleaved;
 * requests/s as a fraction of direct, and CPU time per request of the proxy process (/proc).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/state/ports.js';
import { terminate } from '../src/util/pids.js';
import { CLI } from '../test/helpers/cluster.js';
import { haproxyConfig } from './haproxy.js';
import { median, seedCluster } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_REQUESTS ?? 200_000);
const TICK = 100; // USER_HZ

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK;
}

function bench(port: number, password: string, pipeline: number): Record<string, number> {
  const r = spawnSync(
    'redis-benchmark',
    // The password of a throwaway temp cluster; redis-benchmark does not read REDISCLI_AUTH.
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-a',
      password,
      '-c',
      '50',
      '-t',
      'set,get',
      '-n',
      String(N),
      '-P',
      String(pipeline),
      '--csv',
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, REDISCLI_AUTH: password },
      timeout: 300_000,
    },
  );
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^"(SET|GET)","([\d.]+)"/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]);
  }
  if (!out.SET || !out.GET)
    throw new Error(`redis-benchmark failed on ${port}: ${r.stderr || r.stdout}`);
  return out;
}

const epPort = await freePort();
const c = await seedCluster(
  `endpoint: { mode: proxy, listen: "127.0.0.1:${epPort}" }\nreplication: { minReplicasToWrite: 0 }`,
);
let haproxy: ChildProcess | undefined;
let proxy: ChildProcess | undefined;
let piped: ChildProcess | undefined;
type Path = 'direct' | 'endpoint' | 'endpoint-pipe' | 'haproxy';
const PATHS: Path[] = ['direct', 'endpoint', 'endpoint-pipe', 'haproxy'];
const rows: {
  path: Path;
  pipeline: number;
  set: number;
  get: number;
  cpuUsPerReq: number | null;
}[] = [];
try {
  await c.up();
  // The endpoint alone in its own process (a second listener of the same topology) so its CPU is its own.
  // Two of them: multiplexing (the default) and plain per-client pipes, to show what it pays.
  const ownProxy = async (name: string, multiplex: boolean): Promise<[ChildProcess, number]> => {
    const port = await freePort();
    const file = path.join(c.dir, `${name}.yaml`);
    writeFileSync(
      file,
      readFileSync(path.join(c.dir, 'redis-ha.yaml'), 'utf8').replace(
        `listen: "127.0.0.1:${epPort}" }`,
        `listen: "127.0.0.1:${port}", multiplex: ${multiplex} }`,
      ),
    );
    const child = spawn(
      process.execPath,
      [CLI, 'proxy', '-f', file, '--state-dir', path.join(c.dir, '.redis-ha')],
      { stdio: 'ignore' },
    );
    return [child, port];
  };
  const [p1, own] = await ownProxy('proxy', true);
  const [p2, ownPipe] = await ownProxy('proxy-pipe', false);
  proxy = p1;
  piped = p2;
  const hp = await freePort();
  const cfg = path.join(c.dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(c, hp), { mode: 0o600 });
  haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  await sleep(2000);
  const ports: Record<Path, number> = {
    direct: c.ports[0] ?? 0,
    endpoint: own,
    'endpoint-pipe': ownPipe,
    haproxy: hp,
  };
  const pids: Record<Path, number | undefined> = {
    direct: undefined,
    endpoint: proxy.pid,
    'endpoint-pipe': piped.pid,
    haproxy: haproxy.pid,
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const pipeline of [1, 16]) {
      for (const p of PATHS) {
        const pid = pids[p];
        const before = pid ? cpuMs(pid) : 0;
        const r = bench(ports[p], c.password(), pipeline);
        const cpu = pid ? cpuMs(pid) - before : null;
        rows.push({
          path: p,
          pipeline,
          set: r.SET ?? 0,
          get: r.GET ?? 0,
          cpuUsPerReq: cpu === null ? null : (cpu * 1000) / (2 * N),
        });
        process.stderr.write(
          `round ${round + 1} P${pipeline} ${p}: SET ${r.SET} GET ${r.GET} req/s${cpu === null ? '' : `, proxy CPU ${cpu} ms`}\n`,
        );
      }
    }
  }
} finally {
  if (proxy?.pid) await terminate(proxy.pid, 3000);
  if (piped?.pid) await terminate(piped.pid, 3000);
  if (haproxy?.pid) await terminate(haproxy.pid, 3000);
  await c.down();
}
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`;
const outDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, `endpoint-throughput-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, rounds: ROUNDS, requests: N, rows }, null, 2) + '\n',
);
const lines = [
  `${date} — ${machine} — redis-benchmark -c 50 -n ${N}, ${ROUNDS} rounds, medians`,
  '',
  '| -P | path | SET req/s | GET req/s | fraction of direct (SET / GET) | proxy CPU µs per request |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const pipeline of [1, 16]) {
  const med = (p: Path, k: 'set' | 'get'): number =>
    median(rows.filter((r) => r.path === p && r.pipeline === pipeline).map((r) => r[k]));
  for (const p of PATHS) {
    const cpu = rows
      .filter((r) => r.path === p && r.pipeline === pipeline && r.cpuUsPerReq !== null)
      .map((r) => r.cpuUsPerReq ?? 0);
    lines.push(
      `| ${pipeline} | ${p} | ${Math.round(med(p, 'set'))} | ${Math.round(med(p, 'get'))} | ${(med(p, 'set') / med('direct', 'set')).toFixed(2)} / ${(med(p, 'get') / med('direct', 'get')).toFixed(2)} | ${cpu.length ? median(cpu).toFixed(2) : '-'} |`,
    );
  }
}
process.stdout.write(lines.join('\n') + '\n');
