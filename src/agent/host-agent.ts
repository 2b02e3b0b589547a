import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  makeEvent,
  TypedEmitter,
  type HaEvent,
  type HaEventKind,
  type Level,
} from '../events/events.js';
import { createClient } from '../redis/client.js';
import { parseInfo } from '../redis/info.js';
import { ClientPool } from '../runtime/observe.js';
import { credentials } from '../secrets/credentials.js';
import type { Secrets } from '../secrets/store.js';
import { requestFailover } from '../sentinel/failover.js';
import { SentinelWatcher } from '../sentinel/watcher.js';
import { membersOn, type BoundTopology, type NodeSpec } from '../topology/model.js';
import { decideVip } from './vip-decide.js';
import { key } from '../sentinel/watch-state.js';
import { connectReplicaNow } from '../runtime/demote.js';
import { tuneSentinel } from '../runtime/readiness.js';
import type { VipAddress } from './vip-address.js';

export type AgentStatus = 'idle' | 'running' | 'stopping' | 'stopped';

export interface AgentEvents extends Record<string, unknown> {
  event: HaEvent;
  status: AgentStatus;
  /** The floating address was taken or released. */
  vip: { held: boolean; reason: string; at: number };
}

export interface AgentOptions {
  topology: BoundTopology;
  secrets: Secrets;
  /** The host this agent runs on (a `hosts` name or an address). */
  host: string;
  /** VIP mode: the address this host holds while its node is the primary. */
  vip?: VipAddress | undefined;
  tickMs?: number;
  /** Restarts the dead local node as a replica of `primary` (rewrites its config, starts it). */
  rejoin?: ((node: NodeSpec<number>, primary: NodeSpec<number>) => Promise<void>) | undefined;
}

/**
 * The agent of one data host: holds the floating address only while the local node is the
 * confirmed primary and a sentinel majority is reachable (fencing), asks Sentinel for an
 * immediate failover when the local primary's process dies (no down-after wait), and makes a
 * replica promotable only once it has synced. Event-driven (sentinel events, the local node's
 * connection closing, Sentinel's client-reconfig-script, SIGUSR1) with a periodic tick.
 */
export class HostAgent extends TypedEmitter<AgentEvents> {
  #status: AgentStatus = 'idle';
  readonly #o: AgentOptions;
  readonly #node: NodeSpec<number>;
  readonly #watcher: SentinelWatcher;
  readonly #pool: ClientPool;
  #local: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #holding = false;
  #applying = false;
  #localDead = false;
  #failoverAskedFor: string | undefined;
  #gateAt = 0;
  #rejoining = false;
  #announcedAt = 0;
  /** The last node the watcher confirmed (a dead primary is no longer confirmed). */
  #lastPrimary: string | undefined;

  constructor(o: AgentOptions) {
    super();
    this.#o = o;
    const node = membersOn(o.topology, o.host).find((m) => m.kind === 'node');
    if (!node) throw new Error(`host ${o.host} runs no node: it needs no agent`);
    this.#node = node;
    this.#watcher = new SentinelWatcher({ topology: o.topology, secrets: o.secrets, pollMs: 100 });
    this.#pool = new ClientPool(o.topology, o.secrets, 500);
  }

  get status(): AgentStatus {
    return this.#status;
  }
  get holding(): boolean {
    return this.#holding;
  }

  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#setStatus('running');
    this.#watcher.on('event', (e) => this.emit('event', e));
    this.#watcher.on('primary', ({ to }) => {
      if (to) this.#lastPrimary = to.name;
      this.reconcile();
    });
    this.#watcher.on('leaving', () => this.reconcile());
    this.#local = createClient(this.#node, {
      ...credentials(this.#o.topology, this.#o.secrets, 'admin'),
      reconnect: true,
      timeoutMs: 500,
      name: 'redis-ha-agent',
    });
    // The kernel closes a dead process's sockets at once: the fastest death signal there is.
    this.#local.on('close', () => void this.#checkLocal().catch(() => undefined));
    await this.#local.connect().catch(() => undefined);
    // Warm: the failover request must not wait for a first connection.
    for (const s of this.#o.topology.sentinels) this.#pool.get(s);
    if (this.#o.vip) this.#holding = await this.#o.vip.held().catch(() => false);
    await this.#watcher.start();
    this.#lastPrimary = this.#watcher.primary?.name;
    this.#event(
      'status',
      `agent of ${this.#o.host} started (node ${this.#node.name}${this.#o.vip ? `, address ${this.#o.vip.cidr} on ${this.#o.vip.iface}` : ''})`,
    );
    this.#tick();
  }

  /** Look now (sentinel events, the client-reconfig-script hook, SIGUSR1). */
  reconcile(): void {
    if (this.#status !== 'running') return;
    clearTimeout(this.#timer);
    this.#tick();
  }

  /** Releases the address: a stopped agent cannot fence. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    clearTimeout(this.#timer);
    this.#watcher.stop();
    this.#pool.close();
    this.#local?.disconnect();
    if (this.#holding && this.#o.vip) {
      await this.#o.vip.remove().catch(() => undefined);
      this.#holding = false;
      this.emit('vip', { held: false, reason: 'agent stopped', at: Date.now() });
    }
    this.#setStatus('stopped');
  }

  #tick(): void {
    void this.#step()
      .catch((e: unknown) => this.#event('error', `agent: ${String(e)}`, 'error'))
      .finally(() => {
        if (this.#status === 'running')
          this.#timer = setTimeout(() => this.#tick(), this.#o.tickMs ?? 100);
      });
  }

  async #step(): Promise<void> {
    if (this.#localDead) await this.#checkLocal();
    if (this.#localDead) await this.#rejoin();
    else await this.#demoteIfReplaced().catch(() => undefined);
    // A periodic gratuitous ARP while holding (keepalived's garp_master_refresh): a neighbour
    // that learnt another MAC for the address by any path comes back within 10 s at worst.
    if (this.#holding && this.#o.vip && Date.now() - this.#announcedAt > 10_000) {
      this.#announcedAt = Date.now();
      this.#o.vip.announce([0]);
    }
    await this.#applyVip();
    if (Date.now() - this.#gateAt > 1000) {
      this.#gateAt = Date.now();
      await this.#gatePriority().catch(() => undefined);
      // SENTINEL DEBUG periods are not config directives: a (re)started sentinel needs them
      // again (info-period 1s: a replica that just synced is promotable for it within a second).
      await Promise.all(
        this.#o.topology.sentinels.map((x) =>
          tuneSentinel(this.#pool, x.name).catch(() => undefined),
        ),
      );
    }
  }

  async #applyVip(): Promise<void> {
    const vip = this.#o.vip;
    if (!vip || this.#applying) return;
    const d = decideVip({
      state: this.#watcher.state,
      verdict: this.#watcher.verdict,
      local: this.#node,
      holding: this.#holding,
      now: Date.now(),
      fenceTimeoutMs: this.#o.topology.endpoint.fenceTimeoutMs,
      localDead: this.#localDead,
    });
    if (d.hold === this.#holding) return;
    this.#applying = true;
    try {
      if (d.hold) await vip.add();
      else await vip.remove();
      this.#announcedAt = Date.now();
      this.#holding = d.hold;
      this.emit('vip', { held: d.hold, reason: d.reason, at: Date.now() });
      this.#event('decision', `${d.hold ? 'took' : 'released'} ${vip.cidr}: ${d.reason}`);
    } finally {
      this.#applying = false;
    }
  }

  /** Connection refused on the node's port: its process is gone (a timeout proves nothing). */
  async #checkLocal(): Promise<void> {
    const dead = await refused(this.#node.host, this.#node.port);
    if (dead === this.#localDead) return;
    this.#localDead = dead;
    if (!dead) {
      this.#failoverAskedFor = undefined;
      this.#rejoining = false;
      this.#event('status', `${this.#node.name} is running again`);
      return;
    }
    this.#event(
      'primary-down',
      `${this.#node.name}'s process is gone (connection refused)`,
      'warn',
    );
    await this.#applyVip();
    // The majority's word or the last confirmed primary: ROLE already fails for the dead node.
    const named = this.#watcher.verdict.named;
    const wasPrimary =
      this.#lastPrimary === this.#node.name ||
      (named !== undefined && key(named) === key(this.#node));
    if (!wasPrimary || this.#failoverAskedFor) return;
    this.#failoverAskedFor = this.#node.name;
    // Sentinels refresh a replica's INFO every second: one that just synced may still look
    // unpromotable (NOGOODSLAVE). Retry until then, never beyond down-after.
    const deadline = Date.now() + this.#o.topology.sentinel.downAfterMs;
    let r = await requestFailover(this.#pool);
    while (!r.started && !/INPROG/.test(r.text) && Date.now() < deadline && this.#localDead) {
      await sleep(50);
      r = await requestFailover(this.#pool);
    }
    this.#event(
      'decision',
      r.started
        ? `the primary's process died: asked ${r.sentinel ?? '?'} for an immediate failover (no down-after wait)`
        : `immediate failover not started (${r.text}); Sentinel's own detection continues`,
    );
  }

  /**
   * The dead node comes back as soon as another node is the confirmed primary, as its replica
   * (the unit's own restart waits 3 x down-after so that it never returns as a primary first):
   * the new primary needs a replica for min-replicas-to-write. Once per death.
   */
  async #rejoin(): Promise<void> {
    const primary = this.#watcher.primary;
    if (!this.#o.rejoin || this.#rejoining || !primary || primary.name === this.#node.name) return;
    this.#rejoining = true;
    await this.#o.rejoin(this.#node, primary);
    this.#event('rejoin', `restarted ${this.#node.name} as a replica of ${primary.name}`);
    await connectReplicaNow(
      this.#node,
      primary,
      credentials(this.#o.topology, this.#o.secrets, 'admin'),
    );
  }

  /**
   * A primary that was cut off or frozen while another was promoted comes back believing it is
   * the primary; Sentinel converts it only after its own INFO rounds (seconds), and until then
   * the new primary lacks the replica min-replicas-to-write needs. Demote it the moment the
   * majority confirms another node.
   */
  async #demoteIfReplaced(): Promise<void> {
    const primary = this.#watcher.primary;
    const c = this.#local;
    if (!primary || primary.name === this.#node.name || !this.#watcher.verdict.confirmed) return;
    // The watcher asks every node ROLE (every 100 ms): no need to ask the local one again.
    if (this.#watcher.state.roles[key(this.#node)] !== 'master') return;
    if (!c || c.status !== 'ready') return;
    await c.call('REPLICAOF', primary.host, String(primary.port));
    this.#event(
      'rejoin',
      `${this.#node.name} still said master while ${primary.name} is the confirmed primary: made it a replica`,
    );
  }

  /**
   * Bundles start replicas at replica-priority 0: one that has not finished its first sync must
   * never be promoted (it would replace every acknowledged write by its empty dataset).
   */
  async #gatePriority(): Promise<void> {
    const c = this.#local;
    if (!c || c.status !== 'ready' || this.#node.priority === 0) return;
    const info = parseInfo(await c.info('replication'));
    if (info.role !== 'slave') return;
    if (info.master_link_status !== 'up' || info.master_sync_in_progress === '1') return;
    const [, prio] = (await c.call('CONFIG', 'GET', 'replica-priority')) as [string, string];
    if (Number(prio) !== 0) return;
    await c.call('CONFIG', 'SET', 'replica-priority', String(this.#node.priority));
    await c.call('CONFIG', 'REWRITE').catch(() => undefined);
    this.#event(
      'synced',
      `${this.#node.name} has synced: replica-priority ${this.#node.priority} (promotable)`,
    );
  }

  #event(kind: HaEventKind, message: string, level: Level = 'info'): void {
    this.emit('event', makeEvent(kind, message, { member: this.#node.name, level }));
  }

  #setStatus(s: AgentStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}

/** True when host:port actively refuses a TCP connection (nothing listens). */
export function refused(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(false));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
}
