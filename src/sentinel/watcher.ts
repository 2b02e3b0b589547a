import { credentials, sentinelCredentials } from '../secrets/credentials.js';
import type { Redis } from 'ioredis';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { createClient, withClient } from '../redis/client.js';
import { pairsToRecord, parseInfo } from '../redis/info.js';
import type { Secrets } from '../secrets/store.js';
import type { BoundTopology, NodeSpec } from '../topology/model.js';
import { SentinelEventStream, type SentinelMessage } from './event-stream.js';
import {
  analyze,
  initialState,
  key,
  reduce,
  type Verdict,
  type WatchInput,
  pickReadNode,
  type ReplicaLink,
  type WatchState,
} from './watch-state.js';
import type { PrimarySource } from '../endpoint/proxy.js';

export type WatcherStatus = 'idle' | 'running' | 'stopped';

export interface WatcherEvents extends Record<string, unknown> {
  /** The confirmed primary changed (undefined: none confirmed right now). */
  primary: {
    from: NodeSpec<number> | undefined;
    to: NodeSpec<number> | undefined;
    verdict: Verdict;
  };
  event: HaEvent;
  status: WatcherStatus;
  /** Every sentinel event for this master, as received. */
  message: SentinelMessage;
  /** A failover leader is replacing this primary: drop connections to it now. */
  leaving: { node: NodeSpec<number> };
  /** The read endpoint's node changed (an in-sync replica, else the primary). */
  replica: { to: NodeSpec<number> | undefined };
}

export interface WatcherOptions {
  topology: BoundTopology;
  secrets: Secrets;
  /** Reconcile period; events trigger extra reconciles. */
  pollMs?: number;
}

/** Sentinel channels after which a fresh look is due at once (the periodic one still runs). */
export const RECONCILE_ON: ReadonlySet<string> = new Set([
  '+switch-master',
  '+promoted-slave',
  '+failover-end',
  '+odown',
  '-odown',
  '+sdown',
  '+tilt',
  '-tilt',
  '+try-failover',
  '+failover-state-wait-promotion',
]);

/**
 * Follows the sentinels: polls every one of them (pub/sub does not replay missed messages), folds
 * their events in as they come, asks ROLE of the nodes, and names the primary only when a majority
 * of all sentinels agree on it and it confirms with ROLE. observe -> reduce/analyze (pure) -> emit.
 */
export class SentinelWatcher extends TypedEmitter<WatcherEvents> {
  #status: WatcherStatus = 'idle';
  readonly #t: BoundTopology;
  readonly #secrets: Secrets;
  readonly #pollMs: number;
  #state: WatchState;
  #verdict: Verdict = { votes: 0, needed: 0, confirmed: false, reason: 'not started' };
  #primary: NodeSpec<number> | undefined;
  #sentinels = new Map<string, Redis>();
  #nodes = new Map<string, Redis>();
  #stream: SentinelEventStream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #again = false;
  /** Nodes with a ROLE in flight: a hung node must not hold every look up for its timeout. */
  #rolePending = new Set<string>();
  #links: Record<string, ReplicaLink> = {};
  #doomed: string | undefined;
  #replica: NodeSpec<number> | undefined;

  constructor(o: WatcherOptions) {
    super();
    this.#t = o.topology;
    this.#secrets = o.secrets;
    this.#pollMs = o.pollMs ?? 250;
    this.#state = initialState(o.topology.sentinels.map((s) => s.name));
  }

  get status(): WatcherStatus {
    return this.#status;
  }
  get verdict(): Verdict {
    return this.#verdict;
  }
  /** Every sentinel's last view and the nodes' ROLE answers (for the VIP agent's fencing). */
  get state(): WatchState {
    return this.#state;
  }
  /** The confirmed primary, or undefined while there is none. */
  get primary(): NodeSpec<number> | undefined {
    return this.#primary;
  }

  /** Where reads go: an in-sync replica, else the primary (undefined without a primary). */
  get replica(): NodeSpec<number> | undefined {
    return this.#replica;
  }

  onLeaving(fn: (node: NodeSpec<number>) => void): () => void {
    return this.on('leaving', ({ node }) => fn(node));
  }

  /** The read endpoint's view of this watcher. */
  readSource(): PrimarySource {
    const current = (): NodeSpec<number> | undefined => this.#replica;
    return {
      get primary() {
        return current();
      },
      on: (_name, fn) => this.on('replica', fn),
      reconcile: () => this.reconcile(),
    };
  }

  /** Connects and resolves after the first full look. */
  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#setStatus('running');
    for (const s of this.#t.sentinels)
      this.#sentinels.set(
        s.name,
        createClient(s, {
          ...sentinelCredentials(this.#t, this.#secrets),
          reconnect: true,
          timeoutMs: 500,
          name: 'redis-ha-watcher',
        }),
      );
    for (const n of this.#t.nodes)
      this.#nodes.set(
        n.name,
        createClient(n, {
          ...credentials(this.#t, this.#secrets, 'monitor'),
          reconnect: true,
          timeoutMs: 500,
          name: 'redis-ha-watcher',
        }),
      );
    await Promise.all(
      [...this.#sentinels.values(), ...this.#nodes.values()].map((c) =>
        c.connect().catch(() => undefined),
      ),
    );
    this.#stream = new SentinelEventStream(
      this.#t,
      sentinelCredentials(this.#t, this.#secrets),
      (m) => {
        this.emit('message', m);
        this.#apply({
          type: 'event',
          sentinel: m.sentinel,
          at: Date.now(),
          channel: m.channel,
          payload: m.payload,
        });
        if (RECONCILE_ON.has(m.channel)) this.reconcile();
      },
    );
    this.#stream.start();
    await this.#look(true);
  }

  stop(): void {
    if (this.#status === 'stopped') return;
    clearTimeout(this.#timer);
    this.#stream?.stop();
    for (const c of [...this.#sentinels.values(), ...this.#nodes.values()]) c.disconnect();
    this.#setStatus('stopped');
  }

  /** Look now (coalesced with a look under way). */
  reconcile(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    void this.#look().catch((e: unknown) =>
      this.emit('event', makeEvent('error', `watcher: ${String(e)}`, { level: 'error' })),
    );
  }

  /** Each answer is folded as it lands; only the first look waits for every ROLE. */
  async #look(full = false): Promise<void> {
    if (this.#status !== 'running') return;
    this.#busy = true;
    clearTimeout(this.#timer);
    try {
      const roles = this.#t.nodes
        .filter((n) => !this.#rolePending.has(n.name))
        .map((n) => {
          this.#rolePending.add(n.name);
          return this.#pollRole(n).then((i) => {
            this.#rolePending.delete(n.name);
            if (this.#status === 'running') this.#apply(i);
          });
        });
      await Promise.all(
        this.#t.sentinels.map((s) => this.#pollSentinel(s.name).then((i) => this.#apply(i))),
      );
      if (full) await Promise.all(roles);
    } finally {
      this.#busy = false;
      if (this.#status === 'running')
        this.#timer = setTimeout(() => this.reconcile(), this.#again ? 0 : this.#nextDelay());
      this.#again = false;
    }
  }

  async #pollSentinel(name: string): Promise<WatchInput> {
    const c = this.#sentinels.get(name);
    const at = Date.now();
    try {
      if (!c || c.status !== 'ready') throw new Error('not connected');
      const [m, info] = await Promise.all([
        c.call('SENTINEL', 'MASTER', this.#t.masterName).then(pairsToRecord),
        c.info('sentinel').then(parseInfo),
      ]);
      const master = m.ip && m.port ? { host: m.ip, port: Number(m.port) } : undefined;
      return {
        type: 'poll',
        sentinel: name,
        at,
        master,
        tilt: info.sentinel_tilt === '1',
        failoverInProgress: (m.flags ?? '').includes('failover_in_progress'),
        epoch: m['config-epoch'] === undefined ? undefined : Number(m['config-epoch']),
      };
    } catch {
      return { type: 'unreachable', sentinel: name, at };
    }
  }

  async #pollRole(n: NodeSpec<number>): Promise<WatchInput> {
    const c = this.#nodes.get(n.name);
    try {
      // Sentinel's CLIENT KILL on the node it promotes cuts our connection at the very moment
      // that matters: ask on a one-shot connection while the persistent one reconnects.
      const r = (
        c?.status === 'ready'
          ? await c.call('ROLE')
          : await withClient(
              n,
              { ...credentials(this.#t, this.#secrets, 'monitor'), timeoutMs: 300 },
              (x) => x.call('ROLE'),
            )
      ) as unknown[];
      this.#links[key(n)] =
        r[0] === 'slave'
          ? { following: { host: String(r[1]), port: Number(r[2]) }, up: r[3] === 'connected' }
          : { up: false };
      return {
        type: 'role',
        node: n,
        role: r[0] === 'master' ? 'master' : r[0] === 'slave' ? 'slave' : 'unknown',
      };
    } catch {
      return { type: 'role', node: n, role: 'unknown' };
    }
  }

  /** Poll fast while a failover is under way or the named primary does not answer. */
  #nextDelay(): number {
    const views = Object.values(this.#state.views);
    const named = this.#verdict.named;
    // Sentinel announces REPLICAOF NO ONE as it sends it: our first ROLE may still beat it.
    const promoting = views.some(
      (v) =>
        v.failoverInProgress && v.promoting && this.#state.roles[key(v.promoting)] !== 'master',
    );
    if (promoting) return Math.min(2, this.#pollMs);
    const urgent =
      views.some((v) => v.failoverInProgress) ||
      (named !== undefined && this.#state.roles[key(named)] === 'unknown');
    return urgent ? Math.min(20, this.#pollMs) : this.#pollMs;
  }

  #apply(input: WatchInput): void {
    this.#state = reduce(this.#state, input);
    const v = analyze(this.#state);
    this.#verdict = v;
    const next =
      v.confirmed && v.named ? this.#t.nodes.find((n) => key(n) === key(v.named!)) : undefined;
    if (next?.name !== this.#primary?.name) {
      const from = this.#primary;
      this.#primary = next;
      this.emit('primary', { from, to: next, verdict: v });
      this.emit(
        'event',
        makeEvent(
          'status',
          next ? `primary is ${next.name} (${v.reason})` : `no confirmed primary (${v.reason})`,
          { level: next ? 'info' : 'warn' },
        ),
      );
    }
    const doomed = v.doomed ? this.#t.nodes.find((n) => key(n) === key(v.doomed!)) : undefined;
    if (doomed?.name !== this.#doomed) {
      this.#doomed = doomed?.name;
      if (doomed) this.emit('leaving', { node: doomed });
    }
    const read = pickReadNode(this.#t.nodes, this.#state.roles, this.#links, next, this.#replica);
    if (read?.name !== this.#replica?.name) {
      this.#replica = read;
      this.emit('replica', { to: read });
    }
  }

  #setStatus(s: WatcherStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
