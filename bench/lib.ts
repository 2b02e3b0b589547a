import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from '../test/helpers/cluster.js';
import { writeSeedTopology } from '../test/helpers/topology.js';
import { median } from '../src/drill/verdict.js';

export interface BenchCluster {
  dir: string;
  ports: number[];
  sentinelPorts: number[];
  dashboardPort: number;
  password(): string;
  dashboardToken(): string;
  sentinelPassword(): string;
  pidOf(member: string): number;
  up(): Promise<void>;
  /** `keep`: the state dir stays (its logs, after a traced run). */
  down(keep?: boolean): Promise<void>;
}

/** Clusters a bench brought up and has not brought down: stopped if the bench is interrupted. */
const running = new Set<string>();
let trapped = false;

function downOnSignal(): void {
  if (trapped) return;
  trapped = true;
  const stop = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: stopping ${running.size} bench cluster(s)`);
    void Promise.allSettled([...running].map((dir) => cli(['down'], dir))).then(() =>
      process.exit(130),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The seed topology (default timings) on free ports in a temp dir, plus `extra` YAML. */
export async function seedCluster(extra = ''): Promise<BenchCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-bench-'));
  // One shared password, as the references measured beside us use it (redis-benchmark -a,
  // HAProxy's check, redis_exporter); ACL users do not change what the benches measure.
  const { ports: p } = await writeSeedTopology(dir, { lines: ['auth: { mode: password }', extra] });
  const ports = [p.redis01, p.redis02];
  const sentinelPorts = p.sentinels;
  const secrets = (): { redisPassword: string; sentinelPassword: string; dashboardToken: string } =>
    JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
      redisPassword: string;
      sentinelPassword: string;
      dashboardToken: string;
    };
  return {
    dir,
    ports,
    sentinelPorts,
    dashboardPort: p.dashboard,
    password: () => secrets().redisPassword,
    dashboardToken: () => secrets().dashboardToken,
    sentinelPassword: () => secrets().sentinelPassword,
    pidOf: (m) => Number(readFileSync(path.join(dir, '.redis-ha/run', `${m}.pid`), 'utf8')),
    up: async () => {
      downOnSignal();
      running.add(dir);
      const r = await cli(['up', '--detach'], dir);
      if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
    },
    down: async (keep = false) => {
      await cli(['down'], dir);
      running.delete(dir);
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { median };

export function stats(xs: number[]): { min: number; median: number; max: number; n: number } {
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), n: xs.length };
}
