import { setTimeout as sleep } from 'node:timers/promises';
import { withClient } from '../redis/client.js';
import type { NodeSpec } from '../topology/model.js';

export interface DemoteOptions {
  old: NodeSpec<number>;
  to: NodeSpec<number>;
  password: string | undefined;
  /** Give up after this long (Sentinel converts it when it returns anyway). */
  timeoutMs: number;
  /** false once another switch made it moot; 'wait' while `to` is not confirmed as primary. */
  wanted: () => boolean | 'wait';
}

export type DemoteResult = 'demoted' | 'already-replica' | 'moot' | 'unreachable';

/**
 * A primary replaced while its process still runs (hung, or paused) resumes believing it is the
 * primary, and the new one cannot meet min-replicas-to-write until it follows it. Sentinel sends
 * its REPLICAOF only after its own confirmation and an INFO round (about a second); this asks ROLE
 * every 50 ms on fresh connections and sends REPLICAOF the moment it answers as a master.
 */
export async function demoteWhenBack(o: DemoteOptions): Promise<DemoteResult> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    const w = o.wanted();
    if (w === false) return 'moot';
    try {
      if (w === 'wait') throw new Error('not confirmed yet');
      const r = await withClient(o.old, { password: o.password, timeoutMs: 300 }, async (c) => {
        const role = (await c.call('ROLE')) as unknown[];
        if (role[0] !== 'master') return 'already-replica' as const;
        // Never demote a node the watcher confirms (a stale view must not undo a failover).
        if (o.wanted() !== true) throw new Error('not confirmed now');
        await c.call('REPLICAOF', o.to.host, String(o.to.port));
        return 'demoted' as const;
      });
      return r;
    } catch {
      await sleep(50);
    }
  }
  return 'unreachable';
}
