import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { withClient, type Auth } from '../redis/client.js';
import { parseInfo, type InfoMap } from '../redis/info.js';
import type { NodeSpec } from '../topology/model.js';
import type { Links } from '../view/links.js';

/** What the controller does to nodes, over Redis commands (a fake in tests). */
export interface NodeOps {
  /** CONFIG SET replica-priority; `persist`: CONFIG REWRITE too (a host's live config). */
  setPriority(node: NodeSpec<number>, priority: number, persist: boolean): Promise<void>;
  /** CONFIG SET min-replicas-to-write, never persisted: a restart comes back with the topology's. */
  setWriteQuorum(node: NodeSpec<number>, replicas: number): Promise<void>;
  demoteWhenBack(o: Omit<DemoteOptions, 'auth'>): Promise<DemoteResult>;
  connectReplicaNow(node: NodeSpec<number>, primary: NodeSpec<number>): Promise<boolean>;
  /** INFO replication, on a connection of its own. */
  replication(node: NodeSpec<number>): Promise<InfoMap>;
  /** A process restarted: drop the cached connection to it. */
  reset(name: string): void;
}

/** The real ones, over the view's connections (admin) and one-shot connections. */
export function redisNodeOps(links: Links): NodeOps {
  return {
    setPriority: async (node, priority, persist) => {
      const c = links.get(node);
      try {
        await c.config('SET', 'replica-priority', String(priority));
        if (persist) await c.call('CONFIG', 'REWRITE').catch(() => undefined);
      } catch (e) {
        links.unanswered(node.name, e);
        throw e;
      }
    },
    // On a connection of its own: Sentinel kills the clients of the node it promotes, and the
    // persistent one may look ready yet never be read again (see Links.unanswered).
    setWriteQuorum: async (node, replicas) => {
      await withClient(node, { ...links.nodeAuth(), timeoutMs: 300 }, (x) =>
        x.call('CONFIG', 'SET', 'min-replicas-to-write', String(replicas)),
      );
    },
    demoteWhenBack: (o) => demoteWhenBack({ ...o, auth: links.nodeAuth() }),
    connectReplicaNow: (node, primary) => connectReplicaNow(node, primary, links.nodeAuth()),
    replication: (node) =>
      withClient(node, { ...links.nodeAuth(), timeoutMs: 500 }, async (c) =>
        parseInfo(String(await c.call('INFO', 'replication'))),
      ),
    reset: (name) => links.reset(name),
  };
}

export interface DemoteOptions {
  old: NodeSpec<number>;
  to: NodeSpec<number>;
  auth: Auth;
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
      const r = await withClient(o.old, { ...o.auth, timeoutMs: 300 }, async (c) => {
        const role = (await c.call('ROLE')) as unknown[];
        if (role[0] !== 'master') return 'already-replica' as const;
        // Never demote a node the watcher confirms (a stale view must not undo a failover).
        if (o.wanted() !== true) throw new Error('not confirmed now');
        // As Sentinel's own reconfiguration does: its clients are dropped so that Sentinel-aware
        // clients ask again (else they stay on a replica answering READONLY until something
        // closes their connection), and it is not promotable until it is synced again.
        await c
          .multi()
          .call('REPLICAOF', o.to.host, String(o.to.port))
          .call('CONFIG', 'SET', 'replica-priority', '0')
          .exec();
        await dropApplicationClients(c);
        return 'demoted' as const;
      });
      return r;
    } catch {
      await sleep(50);
    }
  }
  return 'unreachable';
}

/**
 * Closes the connections of applications (not redis-ha's own, named `redis-ha*`, where a
 * switchover under way may wait; nor the sentinels'), as Sentinel's reconfiguration of a node
 * closes its normal clients.
 */
async function dropApplicationClients(c: Redis): Promise<void> {
  const me = String(await c.call('CLIENT', 'ID'));
  const list = [
    String(await c.call('CLIENT', 'LIST', 'TYPE', 'normal')),
    String(await c.call('CLIENT', 'LIST', 'TYPE', 'pubsub')),
  ].join('\n');
  const ids = list
    .split('\n')
    .map((line) => ({ id: /\bid=(\d+)/.exec(line)?.[1], name: /\bname=(\S*)/.exec(line)?.[1] }))
    .filter((x) => x.id && x.id !== me && !/^(redis-ha|sentinel-)/.test(x.name ?? ''));
  if (ids.length === 0) return;
  const m = c.multi();
  for (const x of ids) m.call('CLIENT', 'KILL', 'ID', x.id!);
  await m.exec();
}

/**
 * A redis-server started with `replicaof` in its config first connects to its primary on its
 * replication cron, up to a second after it is ready: a second of blackout when the new primary
 * needs that replica for min-replicas-to-write. When it still waits (ROLE state "connect"), make
 * it connect now: REPLICAOF NO ONE then REPLICAOF, inside MULTI so no client can see it as a
 * master in between. Not when it restarted with a history of its own (a master_repl_offset from
 * its RDB): NO ONE would replace that history with a new one and turn the partial resync the
 * cron asks for into a full one. Bounded; the cron connects anyway if this gives up.
 */
export async function connectReplicaNow(
  node: NodeSpec<number>,
  primary: NodeSpec<number>,
  auth: Auth,
  timeoutMs = 3000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const done = await withClient(node, { ...auth, timeoutMs: 300 }, async (c) => {
        const role = (await c.call('ROLE')) as unknown[];
        if (role[0] !== 'slave') return true; // not ours to touch
        if (role[3] !== 'connect') return true; // already on its way
        // ROLE and INFO answer while an RDB loads: its history is known only once loaded.
        const info = parseInfo(String(await c.call('INFO')));
        if (info['loading'] === '1') return false;
        if (Number(info['master_repl_offset']) > 0) return true; // the cron's PSYNC keeps it
        await c
          .multi()
          .call('REPLICAOF', 'NO', 'ONE')
          .call('REPLICAOF', primary.host, String(primary.port))
          .exec();
        return true;
      });
      if (done) return true;
    } catch {
      /* not up yet, or LOADING */
    }
    await sleep(20);
  }
  return false;
}
