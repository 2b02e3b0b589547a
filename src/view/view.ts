import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { withClient } from '../redis/client.js';
import { confirmStreaming } from '../redis/streaming.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { AclUser } from '../state/secrets.js';
import type { BoundTopology, NodeSpec } from '../topology/model.js';
import { analyzeHealth, type Health } from './health.js';
import { Links } from './links.js';
import { observe, pollRole, pollSentinel } from './observe.js';
import type { Observation } from './observation.js';
import type { SentinelMessage } from './sentinel-message.js';
import { nextSynced } from './synced.js';
import { analyze, initialState, key, reduce, usable, withMembers } from './watch-state.js';
import type { Verdict } from './watch-state.js';
import { announced, isolated, pollDelay, promotedInstead, staleMasters } from './watch-state.js';
import type { WatchInput, WatchState } from './watch-state.js';
import { pickReadNode, type ReplicaLink } from './watch-state.js';

export type ViewStatus = 'idle' | 'running' | 'stopped';

export interface ViewEvents extends Record<string, unknown> {
  status: ViewStatus;
  event: HaEvent;
  /** The confirmed primary changed (`to` undefined: none confirmed right now). */
  primary: {
    from: NodeSpec<number> | undefined;
    to: NodeSpec<number> | undefined;
    verdict: Verdict;
    /** `to` was a synced replica just before (synced.ts). */
    wasSynced: boolean;
  };
  /** A failover leader is replacing this primary: drop connections to it now. */
  leaving: { node: NodeSpec<number> };
  /** The node a failover leader has chosen instead (see `leaving`). */
  promoting: { node: NodeSpec<number> };
  /** The read endpoint's node changed (an in-sync replica, else the primary). */
  read: { to: NodeSpec<number> | undefined };
  /** A replica became synced with the confirmed primary, or stopped being so. */
  synced: { node: NodeSpec<number>; synced: boolean };
  /** Every sentinel event for this master, as received. */
  sentinel: SentinelMessage & { at: number };
  /** A majority of the sentinels is usable (reachable, out of TILT), or no longer. */
  quorum: { ok: boolean; usable: number; needed: number };
  /** Every full look (INFO of every node, each sentinel's view and CKQUORUM). */
  look: { obs: Observation; health: Health };
  /** The folded state changed (a poll, an event, a ROLE answer). */
  state: WatchState;
}

export interface ViewOptions {
  topology: BoundTopology;
  secrets: SecretsSource;
  /** `admin` where the process acts on nodes (it then confirms replica streams itself). */
  nodeUser?: AclUser;
  /** Sentinel polls and ROLE; faster during a failover. */
  pollMs?: number;
  /** Full looks; 0: only on demand (`look()`). */
  lookMs?: number;
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
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
]);

/**
 * The one view of the topology in a process: one set of connections (links.ts), the sentinels'
 * polls and events folded by a pure reducer (watch-state.ts: a primary is named only when a
 * majority of all sentinels agree and it confirms with ROLE), periodic full looks for health and
 * sync (synced.ts). Everything that watches subscribes to its typed events; none opens its own.
 */
export class ClusterView extends TypedEmitter<ViewEvents> {
  #status: ViewStatus = 'idle';
  #t: BoundTopology;
  readonly links: Links;
  readonly #o: ViewOptions;
  readonly #pollMs: number;
  #state: WatchState;
  #verdict: Verdict = { votes: 0, needed: 0, confirmed: false, reason: 'not started' };
  #primary: NodeSpec<number> | undefined;
  /** The last node confirmed (kept through a moment without confirmation). */
  #lastConfirmed: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lookTimer: NodeJS.Timeout | undefined;
  #busy = false;
  #again = false;
  /** Nodes with a ROLE in flight: a hung node must not hold every look up for its timeout. */
  #rolePending = new Set<string>();
  #sentinelPending = new Set<string>();
  #roleLinks: Record<string, ReplicaLink> = {};
  #doomed: string | undefined;
  #read: NodeSpec<number> | undefined;
  #quorumOk: boolean | undefined;
  #synced = new Map<string, string | undefined>();
  #probing = new Set<string>();
  /** How many online replicas each primary listed in its last ROLE. */
  #replicas = new Map<string, number>();
  #look: Promise<Observation> | undefined;
  #lookAgain = false;
  #last: { obs: Observation; health: Health } | undefined;

  constructor(o: ViewOptions) {
    super();
    this.#o = o;
    this.#t = o.topology;
    this.#pollMs = o.pollMs ?? 250;
    this.links = new Links(o.topology, o.secrets, { nodeUser: o.nodeUser, timeoutMs: 500 });
    this.#state = initialState(o.topology.sentinels.map((s) => s.name));
  }

  get status(): ViewStatus {
    return this.#status;
  }
  get topology(): BoundTopology {
    return this.#t;
  }

  /** `apply` changed the members: watched from now on (removed ones forgotten), then a look. */
  setTopology(t: BoundTopology): void {
    this.#t = t;
    this.links.setTopology(t);
    this.#state = withMembers(
      this.#state,
      t.sentinels.map((s) => s.name),
      t.nodes,
    );
    for (const name of this.#synced.keys())
      if (!t.nodes.some((n) => n.name === name)) this.#synced.delete(name);
    this.reconcile();
  }
  get verdict(): Verdict {
    return this.#verdict;
  }
  /** Every sentinel's last view and the nodes' ROLE answers. */
  get state(): WatchState {
    return this.#state;
  }
  /** The confirmed primary, or undefined while there is none. */
  get primary(): NodeSpec<number> | undefined {
    return this.#primary;
  }
  /** Where reads go: an in-sync replica, else the primary (undefined without a primary). */
  get readNode(): NodeSpec<number> | undefined {
    return this.#read;
  }
  /** The last full look and its health analysis. */
  get last(): { obs: Observation; health: Health } | undefined {
    return this.#last;
  }
  /** Replicas synced with the confirmed primary at the last look. */
  synced(name: string): boolean {
    return this.#synced.has(name);
  }

  /** What the node last answered to ROLE. */
  roleOf(node: NodeSpec<number>): 'master' | 'slave' | 'unknown' | undefined {
    return this.#state.roles[key(node)];
  }

  /** Former primaries (`among`) still saying master while another is confirmed, no failover under way. */
  staleMasters(among: ReadonlySet<string>): string[] {
    return staleMasters(this.#state, this.#verdict, this.topology.nodes, among);
  }

  /** The sentinel majority itself names `node` (clients asking the sentinels are sent there). */
  announced(node: NodeSpec<number>): boolean {
    return announced(this.#state, node);
  }

  /** No answer from a majority of the sentinels within the fence timeout: maybe a minority. */
  cutOff(): boolean {
    return isolated(this.topology, this.#state);
  }

  /** Connects, subscribes and resolves after the first full look. */
  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#setStatus('running');
    await this.links.connectAll();
    await this.links.subscribe((m) => this.#onMessage(m));
    await this.#fast(true);
    await this.look();
  }

  stop(): void {
    if (this.#status === 'stopped') return;
    clearTimeout(this.#timer);
    clearTimeout(this.#lookTimer);
    this.links.close();
    this.#setStatus('stopped');
  }

  /** Poll the sentinels and ROLE now (coalesced with a poll under way). */
  reconcile(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    void this.#fast().catch((e: unknown) =>
      this.emit('event', makeEvent('error', `view: ${String(e)}`, { level: 'error' })),
    );
  }

  /** A full look now, shared with one under way (one more follows it if asked meanwhile). */
  look(): Promise<Observation> {
    if (this.#look) {
      this.#lookAgain = true;
      return this.#look;
    }
    this.#look = this.#fullLook().finally(() => {
      this.#look = undefined;
      if (this.#status !== 'running') return;
      clearTimeout(this.#lookTimer);
      const again = this.#lookAgain;
      this.#lookAgain = false;
      const next = again ? 0 : (this.#o.lookMs ?? 500);
      if (again || next > 0)
        this.#lookTimer = setTimeout(() => void this.look().catch(() => undefined), next);
    });
    return this.#look;
  }

  #onMessage(m: SentinelMessage): void {
    const at = Date.now();
    this.emit('sentinel', { ...m, at });
    this.#apply({
      type: 'event',
      sentinel: m.sentinel,
      at,
      channel: m.channel,
      payload: m.payload,
    });
    if (RECONCILE_ON.has(m.channel)) {
      this.reconcile();
      void this.look().catch(() => undefined);
    }
  }

  async #fullLook(): Promise<Observation> {
    const obs = await observe(this.links);
    if (this.#status === 'stopped') return obs;
    const health = analyzeHealth(this.topology, obs);
    this.#last = { obs, health };
    this.#updateSync(obs);
    this.emit('look', { obs, health });
    return obs;
  }

  /** Which replicas are synced with the confirmed primary (the one definition, synced.ts). */
  #updateSync(obs: Observation): void {
    const p = this.#primary;
    const { synced, awaitingStream } = nextSynced(this.#synced, obs, p, this.topology.nodes);
    const before = this.#synced;
    this.#synced = synced;
    for (const n of this.topology.nodes)
      if (synced.has(n.name) !== before.has(n.name))
        this.emit('synced', { node: n, synced: synced.has(n.name) });
    if (p) for (const n of awaitingStream) this.#probe(p, n);
  }

  /** Makes the primary's ACK from a replica arrive now (PUBLISH + WAIT) instead of within 1 s. */
  #probe(primary: NodeSpec<number>, replica: NodeSpec<number>): void {
    if ((this.#o.nodeUser ?? 'admin') !== 'admin' || this.#probing.has(replica.name)) return;
    this.#probing.add(replica.name);
    // Its own connection: WAIT blocks for up to 1.5 s and the view's must stay responsive.
    void withClient(primary, { ...this.links.nodeAuth(), timeoutMs: 2000 }, (c) =>
      confirmStreaming(c, replica),
    )
      .then((ok) => ok && this.#status === 'running' && void this.look().catch(() => undefined))
      .catch(() => undefined)
      .finally(() => this.#probing.delete(replica.name));
  }

  /** Each answer is folded as it lands; only the first poll waits for every ROLE. */
  async #fast(full = false): Promise<void> {
    if (this.#status !== 'running') return;
    this.#busy = true;
    clearTimeout(this.#timer);
    try {
      // The node a leader promotes has its clients killed: ask it on fresh connections.
      const promoting = new Set(
        Object.values(this.#state.views).flatMap((v) => (v.promoting ? [key(v.promoting)] : [])),
      );
      const roles = this.topology.nodes
        .filter((n) => !this.#rolePending.has(n.name))
        .map((n) => {
          this.#rolePending.add(n.name);
          return pollRole(this.links, n, promoting.has(key(n))).then(
            ({ input, link, replicas }) => {
              this.#rolePending.delete(n.name);
              if (link) this.#roleLinks[key(n)] = link;
              this.#replicasOf(n.name, replicas);
              if (this.#status === 'running') this.#apply(input);
            },
          );
        });
      // A cut-off sentinel's poll waits for its timeout: the others' go on without it.
      const polls = this.topology.sentinels
        .filter((s) => !this.#sentinelPending.has(s.name))
        .map((s) => {
          this.#sentinelPending.add(s.name);
          return pollSentinel(this.links, s.name).then((i) => {
            this.#sentinelPending.delete(s.name);
            if (this.#status === 'running') this.#apply(i);
          });
        });
      const all = Promise.all(polls);
      let bound: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (bound = setTimeout(resolve, 50)));
      await (full ? all : Promise.race([all, late]));
      clearTimeout(bound); // not one timer left per round
      if (full) await Promise.all(roles);
    } finally {
      this.#busy = false;
      if (this.#status === 'running')
        this.#timer = setTimeout(
          () => this.reconcile(),
          this.#again ? 0 : pollDelay(this.#state, this.#verdict.named, this.#pollMs),
        );
      this.#again = false;
    }
  }

  /**
   * A replica leaving the primary's list (dead, restarted, cut off) changes what may confirm
   * writes: look now rather than at the next full look.
   */
  #replicasOf(name: string, n: number | undefined): void {
    const before = this.#replicas.get(name);
    if (n === undefined) this.#replicas.delete(name);
    else this.#replicas.set(name, n);
    if (n !== undefined && before !== undefined && n !== before && name === this.#primary?.name)
      void this.look().catch(() => undefined);
  }

  #apply(input: WatchInput): void {
    this.#state = reduce(this.#state, input);
    const v = analyze(this.#state);
    this.#verdict = v;
    const nodes = this.topology.nodes;
    const next = v.confirmed && v.named ? nodes.find((n) => key(n) === key(v.named!)) : undefined;
    if (next?.name !== this.#primary?.name) this.#switch(next, v);
    const doomed = v.doomed ? nodes.find((n) => key(n) === key(v.doomed!)) : undefined;
    if (doomed?.name !== this.#doomed) {
      this.#doomed = doomed?.name;
      if (doomed) this.emit('leaving', { node: doomed });
      const to = doomed && promotedInstead(this.#state, nodes, doomed);
      if (to) this.emit('promoting', { node: to });
    }
    const read = pickReadNode(nodes, this.#state.roles, this.#roleLinks, next, this.#read);
    if (read?.name !== this.#read?.name) {
      this.#read = read;
      this.emit('read', { to: read });
    }
    const counted = Object.values(this.#state.views).filter(usable).length;
    const ok = counted >= v.needed;
    if (ok !== this.#quorumOk) {
      this.#quorumOk = ok;
      this.emit('quorum', { ok, usable: counted, needed: v.needed });
    }
    this.emit('state', this.#state);
  }

  #switch(next: NodeSpec<number> | undefined, v: Verdict): void {
    const from = this.#primary;
    this.#primary = next;
    const wasSynced = next !== undefined && this.#synced.has(next.name);
    // Sync is relative to the confirmed primary: everyone is re-judged against a new one.
    if (next && next.name !== this.#lastConfirmed) {
      this.#lastConfirmed = next.name;
      for (const name of this.#synced.keys()) {
        const node = this.topology.nodes.find((n) => n.name === name);
        if (node) this.emit('synced', { node, synced: false });
      }
      this.#synced.clear();
    }
    this.emit('primary', { from, to: next, verdict: v, wasSynced });
    const msg = next
      ? `primary is ${next.name} (${v.reason})`
      : `no confirmed primary (${v.reason})`;
    this.emit('event', makeEvent('status', msg, { level: next ? 'info' : 'warn' }));
  }

  #setStatus(s: ViewStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
