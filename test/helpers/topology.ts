import assert from 'node:assert/strict';
import { RedisHaError } from '../../src/errors/errors.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/state/ports.js';

export const SEED_SENTINELS = ['sentinel-redis01', 'sentinel-redis02', 'sentinel-supervision'];

export interface WrittenTopology {
  file: string;
  ports: {
    redis01: number;
    redis02: number;
    sentinels: number[];
    exporter: number;
    dashboard: number;
    /** The endpoint's port (the seed has one), unless the caller configures the endpoint. */
    endpoint: number;
  };
}

/**
 * The seed's layout on free ports (never 6379/26379) as DIR/redis-ha.yaml, plus extra YAML lines;
 * the exporter, dashboard and endpoint on free ports too unless the lines configure them.
 */
export async function writeSeedTopology(
  dir: string,
  o: { sentinelNames?: string[]; lines?: string[] } = {},
): Promise<WrittenTopology> {
  const names = o.sentinelNames ?? SEED_SENTINELS;
  const ports = {
    redis01: await freePort(),
    redis02: await freePort(),
    sentinels: [] as number[],
    exporter: await freePort(),
    dashboard: await freePort(),
    endpoint: await freePort(),
  };
  while (ports.sentinels.length < names.length) ports.sentinels.push(await freePort());
  // The exporter `up` serves gets a free port too, unless the caller configures it.
  const lines = o.lines ?? [];
  const exporter = lines.some((l) => /^exporter:/m.test(l))
    ? []
    : [`exporter: { listen: "127.0.0.1:${ports.exporter}" }`];
  const dashboard = lines.some((l) => /^dashboard:/m.test(l))
    ? []
    : [`dashboard: { listen: "127.0.0.1:${ports.dashboard}" }`];
  const endpoint = lines.some((l) => /^endpoint:/m.test(l))
    ? []
    : [`endpoint: { mode: proxy, listen: "127.0.0.1:${ports.endpoint}" }`];
  const file = path.join(dir, 'redis-ha.yaml');
  writeFileSync(
    file,
    [
      'nodes:',
      `  redis01: { role: primary, port: ${ports.redis01} }`,
      `  redis02: { role: replica, port: ${ports.redis02} }`,
      'sentinels:',
      ...names.map((n, i) => `  ${n}: { port: ${ports.sentinels[i]} }`),
      ...lines,
      ...exporter,
      ...dashboard,
      ...endpoint,
      '',
    ].join('\n'),
  );
  return { file, ports };
}

/** The problems a topology is rejected with (one per line after the first), or a failed test. */
export function topologyProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof RedisHaError, 'a RedisHaError');
    assert.equal(e.code, 'TOPOLOGY_INVALID');
    return e.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  assert.fail('expected the topology to be rejected');
}
