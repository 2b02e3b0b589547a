import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import type { BoundTopology } from '../topology/model.js';
import { formatBytes } from '../util/units.js';

/** A dataset a drill loads before its runs (so failovers meet a real resync) and removes after. */
export interface Dataset {
  prefix: string;
  keys: number;
  bytes: number;
}

const VALUE_BYTES = 10 * 1024;
const BATCH = 100;
const IN_FLIGHT = 4;

/** Refuses a dataset that would not fit (an LRU topology would evict it while loading). */
export function checkDatasetFits(t: BoundTopology, bytes: number): void {
  const max = t.memory.maxmemoryBytes;
  // Per key: the value, the key, Redis's own overhead; and the replication buffers on top.
  if (max > 0 && bytes * 1.15 > max)
    throw new RedisHaError(
      'USAGE',
      `a ${formatBytes(bytes)} dataset does not fit memory.maxmemory (${formatBytes(max)})`,
      { hint: `raise memory.maxmemory in the topology (at least ${formatBytes(bytes * 1.3)})` },
    );
}

/**
 * Writes `bytes` of incompressible 10 KB values (a full resync has to move all of them) through
 * `client`, pipelined, reporting progress every 10 %. Bounded: fails past `timeoutMs`.
 */
export async function loadDataset(
  client: Redis,
  bytes: number,
  progress: (line: string) => void,
  timeoutMs = 600_000,
): Promise<Dataset> {
  const d: Dataset = {
    prefix: `drill:dataset:${Date.now()}`,
    keys: Math.ceil(bytes / VALUE_BYTES),
    bytes,
  };
  // Distinct random values (RDB compression is per value: a pool does not make it compressible).
  const pool = Array.from({ length: 256 }, () => randomBytes(VALUE_BYTES));
  const started = Date.now();
  let next = 0;
  let reported = 0;
  const worker = async (): Promise<void> => {
    while (next < d.keys) {
      if (Date.now() - started > timeoutMs)
        throw new RedisHaError('TIMEOUT', `loading the dataset took over ${timeoutMs / 1000}s`);
      const from = next;
      next = Math.min(d.keys, next + BATCH);
      const p = client.pipeline();
      for (let i = from; i < next; i++) p.set(`${d.prefix}:${i}`, pool[i % pool.length]!);
      const res = await p.exec();
      const failed = res?.find(([e]) => e);
      if (failed?.[0]) throw failed[0];
      const done = Math.floor((10 * next) / d.keys);
      if (done > reported) {
        reported = done;
        const s = ((Date.now() - started) / 1000).toFixed(1);
        progress(`loading ${formatBytes(bytes)}: ${done * 10}% (${next} keys, ${s}s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
  return d;
}

export async function removeDataset(client: Redis, d: Dataset): Promise<void> {
  for (let i = 0; i < d.keys; i += 1000) {
    const keys = Array.from(
      { length: Math.min(1000, d.keys - i) },
      (_, k) => `${d.prefix}:${i + k}`,
    );
    await client.unlink(...keys);
  }
}
