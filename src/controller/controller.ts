import type { Backend } from '../backends/backend.js';
import { makeEvent, TypedEmitter, type HaEvent, type HaEventKind } from '../events/events.js';
import type { Level } from '../events/events.js';
import { findNode, type BoundTopology, type Member, type NodeSpec } from '../topology/model.js';
import type { NodeLook, ViewLike } from './view-like.js';
import {
  decideOnPrimaryExit,
  decideRejoin,
  syncWaitsForSnapshot,
  writeQuorum,
} from './decisions.js';
import { ImmediateFailover } from './immediate.js';
import { lastLook, promotableAhead } from './last-look.js';
import type { NodeOps } from './node-ops.js';
import { Restarts } from './restarts.js';
import { Starts } from './starts.js';
import { WriteQuorums } from './write-quorum.js';
import type { Authority } from './authority.js';

export type ControllerStatus = 'idle' | 'running' | 'stopped';

export interface ControllerEvents extends Record<string, unknown> {
  event: HaEvent;
  status: ControllerStatus;
  /** The confirmed primary changed: the one record of it (state.json) subscribes here. */
  failover: { from: string; to: string; how: string };
}

export interface ControllerOptions {
  topology: BoundTopology;
  view: ViewLike;
  backend: Backend;
  authority: Authority;
  nodes: NodeOps;
  /** The primary when it starts (`up`: the one it booted; the agent: the view's, if any). */
  primary: string | undefined;
  /** Watches a primary for a hang (hang-guard.ts `hangGuards`; tests inject a fake). */
  hangGuard: (node: NodeSpec<number>, onHung: (silentMs: number) => void) => { stop(): void };
}

/**
 * The HA policy, once, for `up` (local processes) and the agent of a host (systemd units):
 * - the primary's process dies: with a synced replica, never restart it as a primary; ask the
 *   authority for a failover at once (no down-after wait), then rejoin it as a replica of the
 *   node promoted, unless that node had not synced; without one, restart it from its own files
 *   (the persistence-off rule: the event says the dataset is lost);
 * - a replica is promotable (its configured priority) only once synced by the strict rule;
 * - a primary that hangs (PING unanswered for down-after, process alive) is failed over;
 * - a replaced primary that still says master is made a replica as soon as another is confirmed;
 * - replicas and sentinels that die are restarted with backoff.
 * It acts only on the members its backend runs; everything it knows comes from the view.
 */
export class HaController extends TypedEmitter<ControllerEvents> {
  #status: ControllerStatus = 'idle';
  readonly #o: ControllerOptions;
  #t: BoundTopology;
  #primary: string | undefined;
  #dead: { name: string; since: number; warned: boolean } | undefined;
  #synced = new Set<string>();
  #promotable = new Set<string>();
  #demoting = new Set<string>();
  /** Primaries replaced by a switch, until seen as replicas (staleMasters). */
  #former = new Set<string>();
  #unplaced = new Set<string>();
  #exitAt = new Map<string, number>();
  #lastLook: NodeLook | undefined;
  readonly #starts: Starts;
  readonly #quorums: WriteQuorums;
  readonly #immediate: ImmediateFailover;
  #off: (() => void)[] = [];

  constructor(o: ControllerOptions) {
    super();
    this.#o = o;
    this.#t = o.topology;
    this.#primary = o.primary;
    const { restartBackoffMinMs: min, restartBackoffMaxMs: max } = o.topology.supervisor;
    this.#starts = new Starts({
      ...o,
      restarts: new Restarts(min, max),
      running: () => this.#status === 'running',
      primary: () => this.#primary,
      report: (...a) => this.report(...a),
    });
    const event = (...a: Parameters<HaController['report']>): void => this.report(...a);
    this.#quorums = new WriteQuorums(o.topology, o.nodes, event);
    this.#immediate = new ImmediateFailover({
      t: o.topology,
      authority: o.authority,
      hangGuard: o.hangGuard,
      runs: (name) => o.backend.alive(name),
      candidates: (name) => this.#candidates(name),
      primary: () => (this.#status === 'running' ? this.#primary : undefined),
      event,
    });
  }

  get status(): ControllerStatus {
    return this.#status;
  }
  get primary(): string | undefined {
    return this.#primary;
  }

  start(): void {
    if (this.#status !== 'idle') return;
    this.#status = 'running';
    this.emit('status', 'running');
    const { view, backend } = this.#o;
    this.#off.push(
      backend.on('exit', ({ member, how }) => this.#onExit(member, how)),
      backend.on('back', ({ member }) => this.#onBack(member)),
      view.on('primary', ({ to, verdict, wasSynced }) => {
        if (!to || to.name === this.#primary) return;
        if (this.#primary === undefined) this.#adopt(to);
        else this.#onSwitch(this.#primary, to, verdict.reason, wasSynced);
      }),
      view.on('synced', ({ node, synced }) => this.#onSynced(node, synced)),
      view.on('promoting', ({ node }) => {
        const n = writeQuorum(this.#t, undefined, () => false);
        if (this.#status === 'running' && backend.alive(node.name)) this.#quorums.prepare(node, n);
      }),
      view.on('look', ({ obs }) => this.#onLook(obs)),
      view.on(
        'state',
        () => this.#o.view.cutOff() && this.#quorums.restoreAll('cut off from the sentinels'),
      ),
    );
    this.#immediate.watch(
      this.#primary === undefined ? undefined : findNode(this.#t, this.#primary),
    );
    for (const m of backend.members)
      if (backend.alive(m.name) === false) this.#onExit(m, 'not running');
  }

  stop(): void {
    if (this.#status !== 'running') return;
    this.#status = 'stopped';
    for (const off of this.#off) off();
    this.#starts.stop();
    this.#quorums.stop();
    this.#immediate.stop();
    this.emit('status', 'stopped');
  }

  /**
   * `apply` changed the members: the policy covers `t` from now on. An added node starts as a
   * replica of the primary (priority 0 until synced, then raised like any other); an added
   * sentinel from the config rendered for it.
   */
  retopology(t: BoundTopology, added: readonly Member<number>[]): void {
    this.#t = t;
    for (const part of [this.#starts, this.#quorums, this.#immediate]) part.retopology(t);
    const names = new Set([...t.nodes, ...t.sentinels].map((m) => m.name));
    for (const set of [this.#synced, this.#promotable, this.#former, this.#unplaced])
      for (const n of set) if (!names.has(n)) set.delete(n);
    const p = this.#primary === undefined ? undefined : findNode(t, this.#primary);
    for (const m of added)
      void this.#starts.start(m, m.kind === 'node' ? p : undefined, 'added by `apply`');
  }

  /** Boot confirmed a replica's sync itself (before any sentinel runs). */
  async promote(node: NodeSpec<number>): Promise<void> {
    this.#synced.add(node.name);
    await this.#raise(node);
  }

  /** An event of the policy (its parts report through here too). */
  report(
    kind: HaEventKind,
    message: string,
    member?: string,
    level?: Level,
    data?: Record<string, unknown>,
  ): void {
    this.emit('event', makeEvent(kind, message, { member, level, data }));
  }

  #managed(name: string): boolean {
    return this.#o.backend.alive(name) !== undefined;
  }

  /** Replicas that may be promoted instead of `primary`: synced, running, priority > 0. */
  #candidates(primary: string): string[] {
    const { backend } = this.#o;
    return this.#t.nodes
      .filter((n) => n.name !== primary && n.priority > 0 && this.#synced.has(n.name))
      .filter((n) => backend.alive(n.name) !== false)
      .sort((a, b) => a.priority - b.priority) // Sentinel's first criterion: the best first
      .map((n) => n.name);
  }

  #onExit(m: Member<number>, how: string): void {
    if (this.#status !== 'running') return;
    this.#synced.delete(m.name);
    this.#promotable.delete(m.name);
    this.#exitAt.set(m.name, Date.now());
    if (m.kind === 'sentinel') return this.#starts.later(m, false, 'restarting');
    if (this.#primary === undefined) {
      // Neither as a primary nor as a replica of nobody: once the view confirms one (#adopt).
      this.#unplaced.add(m.name);
      return this.report(
        'warning',
        `${m.name} is down; no confirmed primary yet to rejoin`,
        m.name,
      );
    }
    if (m.name !== this.#primary) {
      this.#adjustQuorum(); // now, not at the next look: the primary refuses writes meanwhile
      return this.#starts.later(m, true, 'restarting as a replica');
    }
    const d = decideOnPrimaryExit({
      persistence: this.#t.persistence.mode,
      syncedReplicas: this.#candidates(m.name),
    });
    if (d.action === 'restart-as-primary' && !d.dataLost)
      return void this.#beforeFiles(m, how, d.reason).catch(() => undefined);
    if (d.action === 'wait-for-failover') return this.#waitForFailover(m, d.candidates, how);
    this.#restartPrimary(m, d.reason, d.dataLost);
  }

  /** The last look before restarting a dead primary from files (last-look.ts). */
  async #beforeFiles(m: Member<number>, how: string, reason: string): Promise<void> {
    const ahead = await lastLook({ ...this.#o, topology: this.#t }, m);
    const ok = await promotableAhead(
      ahead,
      (name) => this.#managed(name),
      async (name) => {
        const node = findNode(this.#t, name);
        if (node) await this.#raise(node, "at or past the dead primary's RDB");
      },
    );
    if (this.#status !== 'running' || this.#o.backend.alive(m.name) !== false) return;
    if (ok.length === 0) return this.#restartPrimary(m, reason, false);
    for (const name of ok) this.#synced.add(name);
    this.#waitForFailover(
      m,
      ok,
      `${how}; ${ok.join(', ')} not confirmed synced this moment but at or past its RDB's offset`,
    );
  }

  #waitForFailover(m: Member<number>, candidates: string[], how: string): void {
    this.#dead = { name: m.name, since: Date.now(), warned: false };
    this.report(
      'primary-down',
      `primary died: not restarting it as a primary; waiting for ${this.#o.authority.name} to promote one of ${candidates.join(', ')} (${how})`,
      m.name,
      'warn',
    );
    this.#immediate.exited(m.name);
  }

  #restartPrimary(m: Member<number>, reason: string, dataLost: boolean): void {
    this.report('decision', reason, m.name, dataLost ? 'error' : 'warn');
    // Back before down-after, Sentinel never acts on stale replica state.
    this.#starts.later(m, false, 'restarted as primary', true);
  }

  #onBack(m: Member<number>): void {
    if (this.#dead?.name === m.name) this.#dead = undefined;
  }

  /** The first primary this controller learns of (an agent started without one confirmed). */
  #adopt(to: NodeSpec<number>): void {
    this.#primary = to.name;
    this.#immediate.watch(to);
    for (const name of this.#unplaced) {
      const m = findNode(this.#t, name);
      if (m && this.#o.backend.alive(name) === false) this.#onExit(m, 'not running');
    }
    this.#unplaced.clear();
  }

  #onSwitch(from: string, to: NodeSpec<number>, how: string, wasSynced: boolean): void {
    const toWasSynced = wasSynced || this.#synced.has(to.name);
    this.#primary = to.name;
    this.#synced.delete(to.name);
    this.#synced.delete(from);
    this.#former.add(from);
    this.#former.delete(to.name);
    this.#immediate.watch(to);
    // Its replicas (the old primary among them) cannot confirm writes yet: keep it writable.
    if (this.#o.backend.alive(to.name))
      this.#quorums.set(
        to,
        writeQuorum(this.#t, undefined, () => false),
        'promoted, no replica confirms writes yet',
      );
    this.report('failover', `failover: ${from} -> ${to.name} (${how})`, undefined, 'info', {
      from,
      to: to.name,
    });
    this.emit('failover', { from, to: to.name, how });
    const node = findNode(this.#t, from);
    if (!node || !this.#managed(from)) return;
    this.#quorums.set(node, this.#quorums.configured, 'no longer the primary');
    if (this.#dead?.name !== from) {
      if (this.#o.backend.alive(from)) this.#demote(node, to);
      return;
    }
    this.#dead = undefined;
    const d = decideRejoin({ promoted: to.name, promotedWasSynced: toWasSynced, oldPrimary: from });
    if (d.action === 'hold') return this.report('error', d.reason, from);
    void this.#starts.rejoin(node, to);
  }

  /** The replaced primary still runs (hung, paused, cut off): make it a replica once it answers. */
  #demote(old: NodeSpec<number>, to: NodeSpec<number>): void {
    if (this.#demoting.has(old.name)) return;
    this.#demoting.add(old.name);
    // The demotion sets its priority to 0: raised again once it is synced.
    this.#promotable.delete(old.name);
    const { view } = this.#o;
    void this.#o.nodes
      .demoteWhenBack({
        old,
        to,
        timeoutMs: this.#t.sentinel.failoverTimeoutMs,
        wanted: () => {
          if (this.#status !== 'running' || this.#primary !== to.name) return false;
          const w = view.primary?.name;
          return w === old.name ? false : w === to.name ? true : 'wait';
        },
      })
      .then((r) => {
        const msg = `still said role:master after the switch to ${to.name}: REPLICAOF ${to.name} sent`;
        if (r === 'demoted') this.report('decision', msg, old.name);
      })
      .catch(() => undefined)
      .finally(() => this.#demoting.delete(old.name));
  }

  #onSynced(node: NodeSpec<number>, synced: boolean): void {
    if (!synced) return void this.#synced.delete(node.name);
    this.#synced.add(node.name);
    void this.#raise(node).catch(() => undefined);
  }

  /** Its configured replica-priority, once per start: only now may Sentinel promote it. */
  async #raise(node: NodeSpec<number>, why = `in sync with ${this.#primary}`): Promise<void> {
    if (!this.#managed(node.name) || node.priority === 0 || this.#promotable.has(node.name)) return;
    this.#promotable.add(node.name);
    try {
      await this.#o.nodes.setPriority(node, node.priority, this.#o.backend.kind === 'systemd');
    } catch (e) {
      this.#promotable.delete(node.name);
      throw e;
    }
    this.report('synced', `${why}; promotion priority ${node.priority}`, node.name);
  }

  /**
   * Redundancy first: a replica's full sync does not wait minutes behind a periodic snapshot of
   * the primary. The snapshot is stopped (the last one on disk stays; the next save point takes
   * a new one) so the second copy exists sooner.
   */
  #unblockSync(primary: NodeSpec<number>, obs: NodeLook): void {
    const o = obs.nodes.find((n) => n.name === primary.name);
    if (!o?.reachable || o.role !== 'master' || !syncWaitsForSnapshot(o)) return;
    const pid = this.#o.backend.stopDiskSnapshot?.(primary.name);
    if (pid !== undefined)
      this.report(
        'decision',
        `stopped its disk snapshot (pid ${pid}): a replica's full sync was waiting for it to end; the next save point takes a new one`,
        primary.name,
      );
  }

  /** The confirmed primary's write quorum from the last look and who is synced now. */
  #adjustQuorum(obs = this.#lastLook): void {
    if (!obs) return;
    const runs = (name: string): boolean => this.#o.backend.alive(name) === true;
    const p = this.#o.view.primary;
    this.#quorums.adjust(p, obs, (name) => this.#synced.has(name), runs, this.#o.view.cutOff());
  }

  #onLook(obs: NodeLook): void {
    if (this.#status !== 'running') return;
    this.#lastLook = obs;
    const at = obs.at;
    const p = this.#o.view.primary;
    const runs = (name: string): boolean => this.#o.backend.alive(name) === true;
    this.#adjustQuorum(obs);
    if (p && runs(p.name)) this.#unblockSync(p, obs);
    const { view } = this.#o;
    // Level-triggered: a replica the view calls synced that this process has not raised yet (a
    // controller that just started), by a look begun after its last exit.
    for (const n of this.#t.nodes)
      if (n.name !== this.#primary && view.synced(n.name) && !this.#promotable.has(n.name))
        if (at > (this.#exitAt.get(n.name) ?? 0)) this.#onSynced(n, true);
    for (const n of this.#t.nodes) if (view.roleOf(n) === 'slave') this.#former.delete(n.name);
    for (const name of view.staleMasters(this.#former)) {
      const node = findNode(this.#t, name);
      const to = view.primary;
      if (node && to && this.#managed(name) && this.#o.backend.alive(name)) this.#demote(node, to);
    }
    const dead = this.#dead;
    if (dead && !dead.warned && Date.now() - dead.since > this.#t.supervisor.failoverWaitMs) {
      dead.warned = true;
      this.report(
        'warning',
        `no failover ${Math.round((Date.now() - dead.since) / 1000)}s after the primary died; still waiting (check quorum: \`redis-ha status\`)`,
        dead.name,
      );
    }
  }
}
