import type { Redis } from 'ioredis';
import { abort, createClient, withClient, type Auth } from '../redis/client.js';
import { credentials, sentinelCredentials } from '../state/credentials.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { AclUser } from '../state/secrets.js';
import type { BoundTopology, Member, SentinelSpec } from '../topology/model.js';
import { concernsMaster, type SentinelMessage } from './sentinel-message.js';

export interface LinksOptions {
  /** Who this process is to the nodes: `admin` where it acts on them (up, the agent). */
  nodeUser?: AclUser;
  timeoutMs?: number;
}

/**
 * The one set of connections of a process to its topology: a command connection per member and
 * a subscriber per sentinel, persistent and reconnecting. Commands fail fast while a member is
 * down (no offline queue), so one dead node never stalls a look at the others. Credentials are
 * read from the process's secrets before every reconnection (`secrets rotate`).
 */
export class Links {
  topology: BoundTopology;
  readonly #secrets: SecretsSource;
  readonly #nodeUser: AclUser;
  readonly #timeoutMs: number;
  #clients = new Map<string, Redis>();
  #resetAt = new Map<string, number>();
  #subs = new Map<string, Redis>();
  #onMessage: ((m: SentinelMessage) => void) | undefined;
  #closed = false;
  #onSentinelReady: ((name: string) => void)[] = [];

  constructor(t: BoundTopology, secrets: SecretsSource, o: LinksOptions = {}) {
    this.topology = t;
    this.#secrets = secrets;
    this.#nodeUser = o.nodeUser ?? 'admin';
    this.#timeoutMs = o.timeoutMs ?? 1000;
  }

  get secrets(): SecretsSource {
    return this.#secrets;
  }

  /** The credentials of this process's node connections, now. */
  nodeAuth(): ReturnType<typeof credentials> {
    return credentials(this.topology, this.#secrets.current, this.#nodeUser);
  }

  sentinelAuth(): ReturnType<typeof sentinelCredentials> {
    return sentinelCredentials(this.topology, this.#secrets.current);
  }

  get(m: Member<number>): Redis {
    // A closed set must not open new reconnecting clients: they would keep the process alive.
    if (this.#closed) throw new Error('connections closed');
    let c = this.#clients.get(m.name);
    if (!c) {
      const auth = (): Auth => this.#auth(m);
      c = createClient(m, {
        ...auth(),
        refresh: auth,
        timeoutMs: this.#timeoutMs,
        reconnect: true,
        name: 'redis-ha',
      });
      if (m.kind === 'sentinel') {
        const name = m.name;
        c.on('ready', () => this.#onSentinelReady.forEach((fn) => fn(name)));
      }
      void c.connect().catch(() => undefined);
      this.#clients.set(m.name, c);
    }
    return c;
  }

  /**
   * Runs fn on a fresh connection of its own, always closed. For actions (a failover request, a
   * pause): the shared connection can be reset under them when a look times out.
   */
  once<T>(m: Member<number>, fn: (c: Redis) => Promise<T>, timeoutMs = 2000): Promise<T> {
    // An action given up must not run later.
    const o = { ...this.#auth(m), timeoutMs, name: 'redis-ha', abortOnError: true };
    return withClient(m, o, fn);
  }

  /**
   * Tries `fn` on fresh connections to these members, opened at once, in the order they
   * connect, until it returns a value: an unreachable member holds no one up. A connection `fn`
   * failed on is reset (see `once`); every one is closed at the end.
   */
  async firstAnswering<T>(
    members: readonly Member<number>[],
    fn: (c: Redis, m: Member<number>) => Promise<T | undefined>,
    timeoutMs = 1000,
  ): Promise<T | undefined> {
    const opening = members.map((m) => {
      const c = this.#fresh(m, timeoutMs);
      return {
        m,
        c,
        ready: c.connect().then(
          () => true,
          () => false,
        ),
      };
    });
    let left = opening.map((_, i) => i);
    try {
      while (left.length > 0) {
        const i = await Promise.race(left.map((j) => opening[j]!.ready.then(() => j)));
        left = left.filter((j) => j !== i);
        const o = opening[i]!;
        if (!(await o.ready)) continue;
        try {
          const r = await fn(o.c, o.m);
          if (r !== undefined) return r;
        } catch {
          abort(o.c);
        }
      }
      return undefined;
    } finally {
      for (const o of opening) o.c.disconnect();
    }
  }

  #fresh(m: Member<number>, timeoutMs: number): Redis {
    return createClient(m, { ...this.#auth(m), timeoutMs, name: 'redis-ha' });
  }

  #auth(m: Member<number>): Auth {
    return m.kind === 'node' ? this.nodeAuth() : this.sentinelAuth();
  }

  /** Opens every connection now (the first look must not wait for them one by one). */
  async connectAll(): Promise<void> {
    const t = this.topology;
    const all = [...t.nodes, ...t.sentinels].map((m) => this.get(m));
    await Promise.all(all.map((c) => ready(c).catch(() => undefined)));
  }

  /** Called on every (re)connection of a sentinel's command link (a restarted sentinel). */
  onSentinelReady(fn: (name: string) => void): void {
    this.#onSentinelReady.push(fn);
  }

  /**
   * Every sentinel's event channels (not __sentinel__:hello), filtered by master name. Pub/sub
   * does not replay missed messages: consumers also look on a timer.
   */
  subscribe(onMessage: (m: SentinelMessage) => void): Promise<void> {
    this.#onMessage = onMessage;
    const subscribed = this.topology.sentinels.map((s) => this.#subscribe(s, onMessage));
    // Resolves once every reachable sentinel streams its events (a down one is not waited for).
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
    return Promise.race([Promise.all(subscribed).then(() => undefined), bound]);
  }

  #subscribe(s: SentinelSpec<number>, onMessage: (m: SentinelMessage) => void): Promise<void> {
    const t = this.topology;
    const c = createClient(s, {
      ...this.sentinelAuth(),
      refresh: () => this.sentinelAuth(),
      reconnect: true,
      timeoutMs: 2000,
      name: 'redis-ha-events',
      subscriber: true,
    });
    c.on('pmessage', (_pattern: string, channel: string, payload: string) => {
      if (channel.startsWith('__sentinel__') || !concernsMaster(payload, t.masterName)) return;
      onMessage({ sentinel: s.name, channel, payload });
    });
    // On every (re)connection; a failure here is followed by another reconnection.
    let first: (() => void) | undefined;
    const subscribed = new Promise<void>((resolve) => (first = resolve));
    c.on('ready', () => void c.psubscribe('*').then(first, () => undefined));
    void c.connect().catch(() => undefined);
    this.#subs.set(s.name, c);
    return subscribed;
  }

  /** `apply` changed the members: removed ones' connections closed, added sentinels followed. */
  setTopology(t: BoundTopology): void {
    this.topology = t;
    const names = new Set([...t.nodes, ...t.sentinels].map((m) => m.name));
    for (const name of [...this.#clients.keys()]) if (!names.has(name)) this.reset(name);
    for (const [name, c] of [...this.#subs])
      if (!names.has(name)) {
        c.disconnect();
        this.#subs.delete(name);
      }
    if (this.#closed || !this.#onMessage) return;
    for (const s of t.sentinels)
      if (!this.#subs.has(s.name)) void this.#subscribe(s, this.#onMessage);
  }

  /**
   * A command on a member's connection went unanswered. A connection Redis closed (Sentinel's
   * CLIENT KILL on the node it promotes or demotes) while a fork child (BGSAVE, a full sync)
   * holds its socket sends no FIN until the child exits, for seconds or minutes with a large
   * dataset: whatever is written to it is never read. Reconnect then, at most once a second
   * (a frozen node fails the new connection just the same).
   */
  unanswered(name: string, e: unknown): void {
    if (!(e instanceof Error) || !/timed out/i.test(e.message)) return;
    const now = Date.now();
    if (now - (this.#resetAt.get(name) ?? 0) < 1000) return;
    this.#resetAt.set(name, now);
    this.reset(name);
  }

  /** Drops a member's connection (its process restarted: do not wait for the reconnect delay). */
  reset(name: string): void {
    this.#clients.get(name)?.disconnect();
    this.#clients.delete(name);
  }

  close(): void {
    this.#closed = true;
    for (const c of [...this.#clients.values(), ...this.#subs.values()]) c.disconnect();
    this.#clients.clear();
    this.#subs.clear();
  }
}

/**
 * A client that is not ready: connect if never tried, wait while a first connect is under way,
 * fail at once while reconnecting (the member is down; do not stall the whole look).
 */
export function ready(c: Redis, timeoutMs = 1000): Promise<void> {
  if (c.status === 'ready') return Promise.resolve();
  if (c.status === 'wait') return c.connect();
  if (c.status !== 'connecting' && c.status !== 'connect')
    return Promise.reject(new Error(`not connected (${c.status})`));
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      clearTimeout(timer);
      c.off('ready', onReady);
      c.off('reconnecting', onFail);
      c.off('end', onFail);
      if (e) reject(e);
      else resolve();
    };
    const onReady = (): void => done();
    const onFail = (): void => done(new Error(`not connected (${c.status})`));
    const timer = setTimeout(onFail, timeoutMs);
    c.on('ready', onReady);
    c.on('reconnecting', onFail);
    c.on('end', onFail);
  });
}
