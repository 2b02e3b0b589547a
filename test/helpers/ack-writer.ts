import { setTimeout as sleep } from 'node:timers/promises';
import type { TestCluster } from './cluster.js';

/** Writes numbered keys `prefix:i` through the endpoint until stopped; returns what was acknowledged. */
export function ackWriter(
  c: TestCluster,
  endpoint: number,
  prefix: string,
): { stop: () => Promise<number[]> } {
  const r = c.client(endpoint, 'app');
  const acked: number[] = [];
  let running = true;
  const loop = (async () => {
    // Also ends when the cluster's clients are closed (a failed scenario's teardown).
    for (let i = 0; running && r.status !== 'end'; i++) {
      try {
        if ((await r.set(`${prefix}:${i}`, String(i))) === 'OK') acked.push(i);
      } catch {
        await sleep(2);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return acked;
    },
  };
}

/** How many acknowledged writes are missing or wrong, read back through the endpoint. */
export async function lostAcks(
  c: TestCluster,
  endpoint: number,
  prefix: string,
  acked: number[],
): Promise<number> {
  const r = c.client(endpoint, 'app');
  let missing = 0;
  for (let k = 0; k < acked.length; k += 500) {
    const ids = acked.slice(k, k + 500);
    const vals = await r.mget(ids.map((i) => `${prefix}:${i}`));
    ids.forEach((i, j) => vals[j] !== String(i) && missing++);
  }
  return missing;
}
