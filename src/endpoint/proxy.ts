import type { Credentials } from '../state/credentials.js';
import net from 'node:net';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { NodeSpec } from '../topology/model.js';
import { boundAddress, listen } from '../util/listen.js';
import { FdGuard } from './fd-guard.js';
import { MuxSession } from './mux-session.js';
import { SharedUpstream } from './shared-upstream.js';

export type EndpointStatus = 'idle' | 'listening' | 'stopping' | 'stopped';

export interface EndpointEvents extends Record<string, unknown> {
  event: HaEvent;
  status: EndpointStatus;
  switch: { from: string | undefined; to: string | undefined; closed: number };
  connections: { active: number; waiting: number };
}

/** Where the proxy learns the current primary (the SentinelWatcher, or a fake in tests). */
export interface PrimarySource {
  readonly primary: NodeSpec<number> | undefined;
  on(name: 'primary', fn: (p: { to: NodeSpec<number> | undefined }) => void): () => void;
  /** Ask for a fresh look now (an upstream just refused a connection). */
  reconcile?(): void;
  /** A failover leader is replacing this node: whatever it acknowledges from now on is lost. */
  onLeaving?(fn: (node: NodeSpec<number>) => void): () => void;
}

export interface ProxyOptions {
  host: string;
  port: number;
  source: PrimarySource;
  /** How long a new connection waits for a primary during a failover before it is refused. */
  waitMs: number;
  /** Share connections to the primary between clients' stateless commands (see mux-session). */
  multiplex?: boolean;
  /** The endpoint's user on the primary: answers clients' AUTH, authenticates shared connections. */
  auth?: Credentials | (() => Credentials) | undefined;
  /** How its log lines name it. */
  name?: string;
}

/**
 * Shared connections per primary. One: writes to it are corked per event-loop turn, so one
 * connection carries every client's batch in one writev (1, 2 and 4 measured: 1 was best).
 */
const SHARED_CONNECTIONS = 1;

/** A client and what carries its bytes to `target`. */
interface Link {
  client: net.Socket;
  target: string;
  close(): void;
  /** Stops carrying the client's commands; replies already on their way still reach it. */
  hold(): void;
}

/**
 * How long a node being replaced keeps delivering replies to commands it already had before
 * its clients are closed: a write it executed is acknowledged rather than resent by the client.
 */
export const LEAVE_GRACE_MS = 10;

/**
 * A TCP endpoint that forwards bytes to the confirmed primary, so every client and command works
 * unchanged. It routes only to the node the watcher confirms (sentinel majority + ROLE master);
 * on a switch it closes every connection to the old primary; connections that arrive while
 * there is no primary wait (bounded) and are refused with a log line after.
 */
export class ProxyEndpoint extends TypedEmitter<EndpointEvents> {
  #status: EndpointStatus = 'idle';
  readonly #o: ProxyOptions;
  readonly #server: net.Server;
  #links = new Set<Link>();
  #waiting = new Map<net.Socket, NodeJS.Timeout>();
  #unsubscribe: (() => void) | undefined;
  #current: string | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #shared = new Map<string, (SharedUpstream | undefined)[]>();
  #next = 0;
  readonly #fds = new FdGuard();
  #fullSaidAt = 0;

  /** Read at each use: `secrets rotate` changes them while the endpoint runs. */
  readonly #auth = (): Credentials => {
    const a = this.#o.auth!;
    return typeof a === 'function' ? a() : a;
  };

  constructor(o: ProxyOptions) {
    super();
    this.#o = o;
    this.#server = net.createServer({ noDelay: true }, (c) => this.#accept(c));
  }

  get status(): EndpointStatus {
    return this.#status;
  }

  get address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#o);
  }

  async start(): Promise<void> {
    this.#current = this.#o.source.primary?.name;
    const offPrimary = this.#o.source.on('primary', ({ to }) => this.#switch(to));
    const offLeaving = this.#o.source.onLeaving?.((n) => this.#leave(n.name));
    this.#unsubscribe = () => {
      offPrimary();
      offLeaving?.();
    };
    await listen(this.#server, this.#o.host, this.#o.port, this.#o.name ?? 'endpoint');
    this.#setStatus('listening');
    const a = this.address;
    this.#event(
      `${this.#o.name ?? 'endpoint'} listening on ${a.host}:${a.port}, routing to ${this.#current ?? 'no node yet'}`,
    );
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    this.#unsubscribe?.();
    for (const [c, t] of this.#waiting) {
      clearTimeout(t);
      c.destroy();
    }
    this.#waiting.clear();
    clearInterval(this.#flushTimer);
    for (const l of this.#links) this.#close(l);
    for (const us of this.#shared.values()) for (const u of us) u?.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#setStatus('stopped');
  }

  #accept(client: net.Socket, retry = false): void {
    if (!retry) {
      client.on('error', () => client.destroy());
      if (this.#fds.full(this.#links.size + this.#waiting.size)) return this.#refuseFull(client);
    }
    const p = this.#o.source.primary;
    // A retry never goes straight back to the node that just refused it.
    if (p && !retry) return this.#bridge(client, p);
    // No confirmed primary (failover under way): hold the connection, unread, until one appears.
    const timer = setTimeout(() => {
      this.#waiting.delete(client);
      this.#event(
        `refused a client from ${client.remoteAddress ?? '?'}: no confirmed primary within ${this.#o.waitMs}ms`,
        'warn',
      );
      client.destroy();
      this.#counts();
    }, this.#o.waitMs);
    this.#waiting.set(client, timer);
    client.once('close', () => this.#drop(client));
    // Waiting clients also re-check every 100ms: a retried client must not depend on a change event.
    this.#flushTimer ??= setInterval(() => this.#flush(this.#o.source.primary), 100);
    this.#counts();
  }

  #refuseFull(client: net.Socket): void {
    client.end('-ERR max number of clients reached\r\n');
    client.destroySoon();
    const now = Date.now();
    if (now - this.#fullSaidAt < 10_000) return;
    this.#fullSaidAt = now;
    this.#event(
      `refusing new clients: ${this.#links.size + this.#waiting.size} connections, near the file-descriptor limit (${this.#fds.limit}); existing clients are served; raise it (LimitNOFILE= in the unit, ulimit -n)`,
      'warn',
    );
  }

  #drop(client: net.Socket): void {
    const t = this.#waiting.get(client);
    if (t === undefined) return;
    clearTimeout(t);
    this.#waiting.delete(client);
    this.#counts();
  }

  #flush(to: NodeSpec<number> | undefined): void {
    if (to) {
      for (const [c, t] of this.#waiting) {
        clearTimeout(t);
        this.#bridge(c, to);
      }
      this.#waiting.clear();
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    this.#counts();
  }

  #bridge(client: net.Socket, p: NodeSpec<number>): void {
    if (this.#o.multiplex) return this.#bridgeShared(client, p);
    const upstream = net.connect({ host: p.host, port: p.port, noDelay: true });
    const link: Link = {
      client,
      target: p.name,
      close: () => {
        client.destroy();
        upstream.destroy();
      },
      hold: () => {
        client.unpipe(upstream);
        client.pause();
      },
    };
    this.#links.add(link);
    // Pipe only once connected: until then the client's bytes stay unread in its socket, so a
    // refused upstream (a primary that just died) costs the client nothing: it waits again.
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      if (!connected && !client.destroyed && this.#links.delete(link)) {
        upstream.destroy();
        this.#o.source.reconcile?.();
        this.#accept(client, true);
        return;
      }
      this.#close(link);
    });
    client.on('close', () => this.#close(link));
    upstream.on('close', () => connected && this.#close(link));
    this.#counts();
  }

  /** Like #bridge, over the node's shared connection (opened on first use). */
  #bridgeShared(client: net.Socket, p: NodeSpec<number>): void {
    let pool = this.#shared.get(p.name);
    if (!pool) this.#shared.set(p.name, (pool = []));
    const slot = this.#next++ % SHARED_CONNECTIONS;
    let up = pool[slot];
    if (!up || up.closed) {
      const u = new SharedUpstream(p, this.#o.auth && this.#auth, () => {
        if (pool[slot] === u) pool[slot] = undefined;
      });
      pool[slot] = up = u;
    }
    const shared = up;
    shared.ready.then(
      () => {
        if (client.destroyed || this.#status !== 'listening') return client.destroy();
        if (shared.closed || this.#current !== p.name) return this.#accept(client, true);
        const s = new MuxSession(
          client,
          shared,
          this.#o.auth && this.#auth,
          () => this.#close(link),
          (unread) =>
            this.#event(
              `closed a client from ${client.remoteAddress ?? '?'} that does not read its replies (${Math.round(unread / 1048576)} MiB unread)`,
              'warn',
            ),
        );
        const link: Link = {
          client,
          target: p.name,
          close: () => s.close(),
          hold: () => s.hold(),
        };
        this.#links.add(link);
        s.start();
        this.#counts();
      },
      () => {
        // Refused (a primary that just died): nothing was sent; the client waits again.
        if (client.destroyed) return;
        this.#o.source.reconcile?.();
        this.#accept(client, true);
      },
    );
  }

  #close(l: Link): void {
    if (!this.#links.delete(l)) return;
    l.close();
    this.#counts();
  }

  #switch(to: NodeSpec<number> | undefined): void {
    const from = this.#current;
    if (from === to?.name) return;
    this.#current = to?.name;
    // Losing confirmation (a slow reply, a ROLE cut by Sentinel's CLIENT KILL) is not a switch:
    // open connections stay until another node is confirmed; only new ones wait.
    let closed = 0;
    for (const l of this.#links) {
      if (to && l.target !== to.name) {
        this.#close(l);
        closed++;
      }
    }
    if (to)
      for (const [name, us] of this.#shared) {
        if (name === to.name) continue;
        this.#shared.delete(name);
        for (const u of us) u?.close();
      }
    this.emit('switch', { from, to: to?.name, closed });
    this.#event(
      to
        ? `switch: ${from ?? 'none'} -> ${to.name} (closed ${closed} connection${closed === 1 ? '' : 's'} to other nodes)`
        : `no confirmed primary: new connections wait; ${this.#links.size} open connection(s) kept`,
      to ? 'info' : 'warn',
    );
    this.#flush(to);
  }

  /**
   * Closes every connection to `name` (kept while it merely stopped answering), as soon as the
   * leader has chosen another node: clients reconnect (and wait here) during the leader's last
   * tick rather than after it. Their commands stop at once; replies in flight get LEAVE_GRACE_MS.
   */
  #leave(name: string): void {
    const leaving = [...this.#links].filter((l) => l.target === name);
    for (const l of leaving) l.hold();
    const shared = this.#shared.get(name) ?? [];
    this.#shared.delete(name);
    if (this.#current === name) this.#current = undefined;
    setTimeout(() => {
      for (const l of leaving) this.#close(l);
      for (const u of shared) u?.close();
    }, LEAVE_GRACE_MS);
    const n = leaving.length;
    this.#event(
      `${name} is being replaced by a failover: closing ${n} connection${n === 1 ? '' : 's'} to it`,
      'warn',
    );
  }

  #counts(): void {
    this.emit('connections', { active: this.#links.size, waiting: this.#waiting.size });
  }

  #event(message: string, level: 'info' | 'warn' = 'info'): void {
    this.emit('event', makeEvent('status', message, { level, member: this.#o.name ?? 'endpoint' }));
  }

  #setStatus(s: EndpointStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
