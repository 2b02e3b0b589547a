import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { ClusterView } from '../../src/cluster/analyze.js';
import { cli, processesUnder, secretLeaks, type CliResult } from './cluster.js';
import { writeClusterTopology } from './cluster-topology.js';

export type Status = ClusterView & { kind: string; processes: { name: string; pid: number }[] };

export interface Harness {
  dir: string;
  ports: number[][];
  run: (args: string[]) => Promise<CliResult>;
  status: () => Promise<{ code: number; json: Status }>;
  user: (who: 'admin' | 'app') => { username: string; password: string };
}

export async function harness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-cluster-'));
  const { file, ports } = await writeClusterTopology(dir);
  const run = (args: string[]): Promise<CliResult> => cli([...args, '-f', file], dir, 90_000);
  return {
    dir,
    ports,
    run,
    status: async () => {
      const r = await run(['status', '--json']);
      return { code: r.code, json: JSON.parse(r.stdout) as Status };
    },
    user: (who) => {
      const s = JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as {
        users: Record<string, string>;
      };
      return { username: who, password: s.users[who] ?? '' };
    },
  };
}

/** Node by node: status, then each server's log tail (on failure). */
async function dump(h: Harness): Promise<string> {
  const parts = [(await h.run(['status'])).stdout];
  for (const name of ['shard1-1', 'shard1-2', 'shard2-1', 'shard2-2', 'shard3-1', 'shard3-2'])
    parts.push(`--- ${name}\n${(await h.run(['logs', name, '-n', '20'])).stdout}`);
  return parts.join('\n');
}

/** A fresh 3x2 cluster topology for `fn`; then down, no process left, no secret written. */
export async function withClusterHarness(
  what: string,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await harness();
  let failure: unknown;
  try {
    await fn(h);
  } catch (e) {
    failure = e;
    process.stderr.write(`\n=== ${what} failed:\n${await dump(h).catch(String)}\n`);
  } finally {
    const down = await h.run(['down']);
    const left = processesUnder(h.dir);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const leaked = secretLeaks(path.join(h.dir, '.redis-ha'));
    rmSync(h.dir, { recursive: true, force: true });
    failure ??= down.code !== 0 ? new Error(`down failed: ${down.stderr}`) : undefined;
    failure ??= left.length
      ? new Error(`processes left after down: ${left.join(', ')}`)
      : undefined;
    failure ??= leaked.length
      ? new Error(`a secret was written to ${leaked.join(', ')}`)
      : undefined;
  }
  if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
}

/** One hash tag per shard (slots of shard1, shard2, shard3), asked of the cluster itself. */
export async function tagsPerShard(h: Harness): Promise<string[]> {
  const r = new Redis({ port: h.ports[0]?.[0] ?? 0, ...h.user('admin') });
  try {
    const { json } = await h.status();
    const tags: string[] = json.shards.map(() => '');
    for (let i = 0; tags.includes(''); i++) {
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', `{t${i}}`));
      const s = json.shards.findIndex((x) =>
        x.slots.some((range) => slot >= range.start && slot <= range.end),
      );
      if (s >= 0 && tags[s] === '') tags[s] = `{t${i}}`;
    }
    return tags;
  } finally {
    r.disconnect();
  }
}

/** Sequential SETs on each shard, one Cluster client with its default options. */
export function shardWriter(h: Harness, tags: string[]) {
  const c = new Cluster([{ host: '127.0.0.1', port: h.ports[0]?.[0] ?? 0 }], {
    redisOptions: h.user('app'),
  });
  c.on('error', () => undefined);
  const acked: string[] = [];
  const at: number[][] = tags.map(() => []);
  let failed = 0;
  let running = true;
  // One loop per shard: a write held on one shard does not hold the others.
  const loops = tags.map(async (tag, s) => {
    for (let i = 0; running; i++) {
      const key = `${tag}:${i}`;
      try {
        await c.set(key, String(i));
        acked.push(key);
        at[s]?.push(Date.now());
      } catch {
        failed++;
      }
    }
  });
  return {
    c,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { acked, failed };
    },
    /** Each shard's longest time without an acknowledged write within [from, to]. */
    gaps: (from: number, to: number): number[] =>
      at.map((xs) => {
        let prev = from;
        let worst = 0;
        for (const x of xs.filter((v) => v >= from && v <= to)) {
          worst = Math.max(worst, x - prev);
          prev = x;
        }
        return Math.max(worst, Math.min(to, Date.now()) - prev);
      }),
  };
}
