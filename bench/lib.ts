import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../src/runtime/ports.js';

export const CLI = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../src/cli/main.js',
);

export function runCli(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export interface BenchCluster {
  dir: string;
  ports: number[];
  sentinelPorts: number[];
  password(): string;
  sentinelPassword(): string;
  pidOf(member: string): number;
  up(): Promise<void>;
  down(): Promise<void>;
}

/** The seed topology (default timings) on free ports in a temp dir, plus `extra` YAML. */
export async function seedCluster(extra = ''): Promise<BenchCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-bench-'));
  const ports = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, 'redis-ha.yaml'),
    [
      'nodes:',
      `  redis01: { role: primary, port: ${ports[0]} }`,
      `  redis02: { role: replica, port: ${ports[1]} }`,
      'sentinels:',
      ...['sentinel-redis01', 'sentinel-redis02', 'sentinel-supervision'].map(
        (n, i) => `  ${n}: { port: ${sentinelPorts[i]} }`,
      ),
      extra,
    ].join('\n'),
  );
  const secrets = (): { redisPassword: string; sentinelPassword: string } =>
    JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
      redisPassword: string;
      sentinelPassword: string;
    };
  return {
    dir,
    ports,
    sentinelPorts,
    password: () => secrets().redisPassword,
    sentinelPassword: () => secrets().sentinelPassword,
    pidOf: (m) => Number(readFileSync(path.join(dir, '.redis-ha/run', `${m}.pid`), 'utf8')),
    up: async () => {
      const r = await runCli(['up', '--detach'], dir);
      if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
    },
    down: async () => {
      await runCli(['down'], dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

export function stats(xs: number[]): { min: number; median: number; max: number; n: number } {
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), n: xs.length };
}
