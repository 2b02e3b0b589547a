/**
 * check_redis wall time vs Debian's check_redis.pl 0.73 (`npm run bench:check`): each plugin run
 * as Nagios runs it (a fresh process, with the environment a systemd service such as nagios4
 * has) against the primary of a running topology, RUNS times interleaved; medians. Ours three
 * ways: the bundled plugin run directly, the same executable with `--via` the exporter that `up`
 * serves (the check runs there; what `render --nagios` writes), and the full CLI. Two reference
 * rows: `node -e 0` (Node's own start, the floor of any Node plugin) and our plugin with this
 * shell's whole environment (NODE_EXTRA_CA_CERTS, when set, costs Node ~35 ms at start-up).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/state/ports.js';
import { median, seedCluster } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const exporter = await freePort();
const c = await seedCluster(`exporter: { listen: "127.0.0.1:${exporter}" }`);
const times: Record<string, number[]> = {};
const outputs: Record<string, string> = {};
try {
  await c.up();
  const port = String(c.ports[0]);
  // A throwaway temp cluster's password, as the seed's usage passes it (-P / -x).
  const pw = c.password();
  const ours = ['-H', '127.0.0.1', '-p', port, '-P', pw, '-w', '100', '-c', '500'];
  // What systemd gives a service (nagios4.service sets nothing more).
  const service = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
  };
  const variants: Record<string, { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }> = {
    // Response time and memory, the seed's usage; -f perfdata.
    'debian check_redis.pl': {
      cmd: '/usr/lib/nagios/plugins/check_redis',
      args: ['-H', '127.0.0.1', '-p', port, '-x', pw, '-T', '100,500', '-f'],
    },
    'redis-ha check_redis': { cmd: path.join(root, 'bin/check_redis'), args: ours },
    'redis-ha check_redis --via the exporter': {
      cmd: path.join(root, 'bin/check_redis'),
      args: ['--via', `127.0.0.1:${exporter}`, ...ours],
    },
    'redis-ha check redis (full CLI)': {
      cmd: process.execPath,
      args: [path.join(root, 'dist/src/cli/main.js'), 'check', 'redis', ...ours],
    },
    'node -e 0 (reference: Node start-up)': { cmd: process.execPath, args: ['-e', '0'] },
  };
  for (const v of Object.values(variants)) v.env = service;
  if (process.env.NODE_EXTRA_CA_CERTS)
    variants["redis-ha check_redis, this shell's environment (NODE_EXTRA_CA_CERTS set)"] = {
      cmd: path.join(root, 'bin/check_redis'),
      args: ours,
    };
  for (let i = 0; i < RUNS; i++) {
    for (const [name, v] of Object.entries(variants)) {
      const t0 = performance.now();
      const r = spawnSync(v.cmd, v.args, { encoding: 'utf8', timeout: 30_000, env: v.env });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stdout}${r.stderr}`);
      (times[name] ??= []).push(ms);
      outputs[name] = r.stdout.trim();
    }
  }
} finally {
  await c.down();
}
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`;
const outDir = path.join(root, 'bench/results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, `check-redis-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, runs: RUNS, times, outputs }, null, 2) + '\n',
);
const lines = [
  `${date} — ${machine} — ${RUNS} runs each, interleaved; wall time of one check (process start to exit)`,
  '',
  '| plugin | min | median | max | figures in perfdata |',
  '| --- | --- | --- | --- | --- |',
];
for (const [name, ts] of Object.entries(times)) {
  const perf = (outputs[name]?.split('|')[1] ?? '').trim().split(/\s+/).filter(Boolean).length;
  lines.push(
    `| ${name} | ${Math.min(...ts).toFixed(1)} ms | **${median(ts).toFixed(1)} ms** | ${Math.max(...ts).toFixed(1)} ms | ${perf} |`,
  );
}
process.stdout.write(lines.join('\n') + '\n');
