import { credentials, sentinelCredentials } from '../secrets/credentials.js';
import type { Redis } from 'ioredis';
import { createClient, redisErrorText } from '../redis/client.js';
import { num, pairsToRecord, parseInfo, parseReplicaAcks } from '../redis/info.js';
import type { BoundTopology, Member } from '../topology/model.js';
import type { Secrets } from '../secrets/store.js';
import type { NodeObs, Observation, SentinelObs } from './observation.js';

/**
 * Persistent, reconnecting control connections to every member. Commands fail fast while a
 * member is down (no offline queue), so one dead node never stalls a look at the others.
 */
export class ClientPool {
  #clients = new Map<string, Redis>();
  #closed = false;
  readonly #t: BoundTopology;
  readonly #secrets: Secrets;
  readonly #timeoutMs: number;

  constructor(t: BoundTopology, secrets: Secrets, timeoutMs = 1000) {
    this.#t = t;
    this.#secrets = secrets;
    this.#timeoutMs = timeoutMs;
  }

  get(m: Member<number>): Redis {
    // A closed pool must not open new reconnecting clients: they would keep the process alive.
    if (this.#closed) throw new Error('client pool closed');
    let c = this.#clients.get(m.name);
    if (!c) {
      c = createClient(m, {
        ...(m.kind === 'node'
          ? credentials(this.#t, this.#secrets, 'admin')
          : sentinelCredentials(this.#t, this.#secrets)),
        timeoutMs: this.#timeoutMs,
        reconnect: true,
        name: 'redis-ha',
      });
      void c.connect().catch(() => undefined);
      this.#clients.set(m.name, c);
    }
    return c;
  }

  /** Drops a member's connection (after its process restarted). */
  reset(name: string): void {
    this.#clients.get(name)?.disconnect();
    this.#clients.delete(name);
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#clients.values()) c.disconnect();
    this.#clients.clear();
  }

  get topology(): BoundTopology {
    return this.#t;
  }
}

export async function observeNode(pool: ClientPool, name: string): Promise<NodeObs> {
  const node = pool.topology.nodes.find((n) => n.name === name);
  if (!node) return { name, reachable: false, error: 'not in topology', offset: 0 };
  try {
    const c = pool.get(node);
    if (c.status !== 'ready') await waitReady(c);
    const info = parseInfo(await c.info());
    const role = info.role === 'slave' ? 'slave' : 'master';
    const keys = /keys=(\d+)/.exec(info.db0 ?? '')?.[1];
    return {
      name,
      reachable: true,
      role,
      loading: info.loading === '1',
      masterHost: info.master_host,
      masterPort: info.master_port === undefined ? undefined : Number(info.master_port),
      linkUp: role === 'slave' ? info.master_link_status === 'up' : undefined,
      syncInProgress: info.master_sync_in_progress === '1',
      syncTotalBytes:
        info.master_sync_total_bytes === undefined
          ? undefined
          : num(info, 'master_sync_total_bytes'),
      syncReadBytes:
        info.master_sync_read_bytes === undefined ? undefined : num(info, 'master_sync_read_bytes'),
      offset: role === 'slave' ? num(info, 'slave_repl_offset') : num(info, 'master_repl_offset'),
      connectedReplicas: num(info, 'connected_slaves'),
      priority: info.slave_priority === undefined ? undefined : num(info, 'slave_priority'),
      keys: keys === undefined ? 0 : Number(keys),
      acks: role === 'master' ? parseReplicaAcks(info) : undefined,
    };
  } catch (e) {
    return { name, reachable: false, error: redisErrorText(e), offset: 0 };
  }
}

export async function observeSentinel(pool: ClientPool, name: string): Promise<SentinelObs> {
  const s = pool.topology.sentinels.find((x) => x.name === name);
  if (!s) return { name, reachable: false, error: 'not in topology' };
  const master = pool.topology.masterName;
  try {
    const c = pool.get(s);
    if (c.status !== 'ready') await waitReady(c);
    const [m, info] = await Promise.all([
      c.call('SENTINEL', 'MASTER', master).then(pairsToRecord),
      c.info('sentinel').then(parseInfo),
    ]);
    let quorumOk = false;
    let quorumText: string;
    try {
      quorumText = String(await c.call('SENTINEL', 'CKQUORUM', master));
      quorumOk = true;
    } catch (e) {
      quorumText = redisErrorText(e);
    }
    return {
      name,
      reachable: true,
      masterHost: m.ip,
      masterPort: m.port === undefined ? undefined : Number(m.port),
      masterFlags: m.flags,
      numReplicas: num(m, 'num-slaves'),
      numOtherSentinels: num(m, 'num-other-sentinels'),
      quorumOk,
      quorumText,
      tilt: info.sentinel_tilt === '1',
    };
  } catch (e) {
    return { name, reachable: false, error: redisErrorText(e) };
  }
}

export async function observe(
  pool: ClientPool,
  only?: { nodes?: boolean; sentinels?: boolean },
): Promise<Observation> {
  const t = pool.topology;
  const at = Date.now();
  // Primary-side offsets must be read no later than replica offsets for "caught up" to be sound.
  let nodes =
    only?.nodes === false ? [] : await Promise.all(t.nodes.map((n) => observeNode(pool, n.name)));
  const replicas = nodes.filter((n) => n.role === 'slave').map((n) => n.name);
  if (replicas.length > 0) {
    const again = new Map(
      (await Promise.all(replicas.map((r) => observeNode(pool, r)))).map((o) => [o.name, o]),
    );
    nodes = nodes.map((n) => again.get(n.name) ?? n);
  }
  const sentinels =
    only?.sentinels === false
      ? []
      : await Promise.all(t.sentinels.map((s) => observeSentinel(pool, s.name)));
  return { at, nodes, sentinels };
}

/** A client that is not ready: connect if never tried, wait while a first connect is under way,
 * fail at once while reconnecting (the member is down; do not stall the whole observation). */
function waitReady(c: Redis): Promise<void> {
  if (c.status === 'ready') return Promise.resolve();
  if (c.status === 'wait') return c.connect();
  if (c.status !== 'connecting' && c.status !== 'connect')
    return Promise.reject(new Error(`not connected (${c.status})`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not connected (${c.status})`));
    }, 1000);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      c.off('ready', onReady);
    };
    c.on('ready', onReady);
  });
}
