import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isPortFree } from '../../src/state/ports.js';

const taken = new Set<number>();

/**
 * `n` free ports whose bus ports (port + 10000) are free too, never fixed ones: random, in
 * 20000-22767 so both stay below Linux's ephemeral range (an outgoing connection cannot take a
 * bus port between the check and the bind). Never the same port twice in one process.
 */
export async function freeClusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 5000; tries++) {
    const p = 20000 + Math.floor(Math.random() * 2768);
    if (taken.has(p) || taken.has(p + 10000) || taken.has(p - 10000)) continue;
    if (!(await isPortFree('127.0.0.1', p)) || !(await isPortFree('127.0.0.1', p + 10000)))
      continue;
    taken.add(p);
    out.push(p);
  }
  if (out.length < n) throw new Error(`found only ${out.length} of ${n} free cluster port pairs`);
  return out;
}

export interface WrittenCluster {
  file: string;
  /** Per shard: the primary's port, then its replicas'. */
  ports: number[][];
}

/** DIR/redis-ha.yaml: `shards` shards of 1 + `replicas` nodes on loopback, free ports. */
export async function writeClusterTopology(
  dir: string,
  o: { shards?: number; replicas?: number; lines?: string[] } = {},
): Promise<WrittenCluster> {
  const shards = o.shards ?? 3;
  const per = 1 + (o.replicas ?? 1);
  const flat = await freeClusterPorts(shards * per);
  const ports = Array.from({ length: shards }, (_, i) => flat.slice(i * per, (i + 1) * per));
  const file = path.join(dir, 'redis-ha.yaml');
  writeFileSync(
    file,
    [
      'cluster:',
      '  nodeTimeout: 2s',
      '  shards:',
      ...ports.flatMap(([p, ...r]) => [
        `    - primary: { port: ${p} }`,
        `      replicas: [${r.map((x) => `{ port: ${x} }`).join(', ')}]`,
      ]),
      ...(o.lines ?? []),
      '',
    ].join('\n'),
  );
  return { file, ports };
}
