import { credentials } from '../secrets/credentials.js';
import { RedisHaError, errorMessage } from '../errors/errors.js';
import {
  appendEvent,
  makeEvent,
  TypedEmitter,
  type HaEvent,
  type HaEventKind,
  type Level,
} from '../events/events.js';
import { renderNode, writeRendered } from '../render/render-all.js';
import type { Secrets } from '../secrets/store.js';
import { RECONCILE_ON, SentinelWatcher } from '../sentinel/watcher.js';
import {
  designatedPrimary,
  findNode,
  type BoundTopology,
  type Member,
  type NodeSpec,
  type Topology,
} from '../topology/model.js';
import type { Child, ChildExit } from './child.js';
import { connectReplicaNow, demoteWhenBack } from './demote.js';
import { decideDemotion, decideOnPrimaryExit, decideRejoin } from './decisions.js';
import { analyzeHealth, majorityPrimary, problemKey } from './health.js';
import { acquireLock, releaseLock } from './lock.js';
import { observe } from './observe.js';
import { prepareRun } from './prepare.js';
import { startInOrder, tuneSentinel, waitHealthy, waitSentinelPing } from './readiness.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { assembleRun, type RunParts } from './run-parts.js';
import { StateDir } from './state-dir.js';

export type SupervisorStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorEvents extends Record<string, unknown> {
  event: HaEvent;
  status: SupervisorStatus;
}

export interface SupervisorOptions {
  topology: Topology;
  /** Period of the reconcile loop. */
  tickMs?: number;
  /** Bound on reaching "healthy" once the sentinels are started. */
  healthTimeoutMs?: number;
}

/**
 * Runs every redis-server and redis-sentinel of a topology as child processes and keeps them
 * right: restarts replicas and sentinels with backoff, never restarts a dead primary as a primary
 * while a replica holds the data, and brings the old primary back as a replica after a failover.
 * Reconciles on child exits, sentinel events and a periodic timer.
 */
export class Supervisor extends TypedEmitter<SupervisorEvents> {
  #status: SupervisorStatus = 'idle';
  readonly #input: Topology;
  readonly #dir: StateDir;
  readonly #tickMs: number;
  readonly #healthTimeoutMs: number;
  #run: RunParts | undefined;
  #watcher: SentinelWatcher | undefined;
  #switchedAt = 0;
  #primary = '';
  /** The primary before the last failover, until it is seen as a replica. */
  #oldPrimary: string | undefined;
  #deadPrimary: { name: string; since: number; warned: boolean } | undefined;
  readonly #loop: ReconcileLoop;
  #healthKey = '';

  constructor(o: SupervisorOptions) {
    super();
    this.#input = o.topology;
    this.#dir = new StateDir(o.topology.stateDir);
    this.#tickMs = o.tickMs ?? 500;
    this.#healthTimeoutMs = o.healthTimeoutMs ?? 20_000;
    // observe -> analyze -> apply, every tick and on sentinel events.
    this.#loop = new ReconcileLoop(
      () => (this.#status === 'running' ? this.#reconcile() : Promise.resolve()),
      this.#tickMs,
      (e) => this.#event('error', `internal error: ${errorMessage(e)}`),
    );
  }

  get status(): SupervisorStatus {
    return this.#status;
  }
  /** The process's one Secrets object (the SecretsReloader updates it in place). */
  get secrets(): Secrets {
    if (!this.#run) throw new RedisHaError('NOT_RUNNING', 'the supervisor has not started');
    return this.#run.secrets;
  }

  get topology(): BoundTopology {
    if (!this.#run) throw new RedisHaError('NOT_RUNNING', 'the supervisor has not started');
    return this.#run.t;
  }
  get primary(): string {
    return this.#primary;
  }

  /** Boots the topology and resolves once it is verified healthy; on failure nothing is left running. */
  async start(): Promise<void> {
    if (this.#status !== 'idle')
      throw new RedisHaError('INTERNAL', `cannot start a supervisor that is ${this.#status}`);
    this.#setStatus('starting');
    try {
      acquireLock(this.#dir);
      await this.#boot();
    } catch (e) {
      this.#event('error', `startup failed: ${errorMessage(e)}`);
      await this.#teardown();
      this.#setStatus('failed');
      throw e;
    }
    this.#setStatus('running');
    this.#loop.start();
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    this.#event('status', 'stopping every process');
    await this.#teardown();
    this.#event('status', 'stopped');
    this.#setStatus('stopped');
  }

  async #teardown(): Promise<void> {
    this.#loop.stop();
    this.#watcher?.stop();
    this.#run?.trigger.stop();
    this.#run?.pool.close();
    await this.#run?.children.stopAll(this.#primary);
    releaseLock(this.#dir);
  }

  #setStatus(s: SupervisorStatus): void {
    this.#status = s;
    this.emit('status', s);
  }

  #event(
    kind: HaEventKind,
    message: string,
    extra: { member?: string | undefined; level?: Level; data?: Record<string, unknown> } = {},
  ): void {
    const e = makeEvent(kind, message, extra);
    appendEvent(this.#dir.eventsFile, e);
    this.emit('event', e);
  }

  async #boot(): Promise<void> {
    const p = await prepareRun(this.#input, this.#dir, (msg, member) =>
      this.#event(member ? 'decision' : 'progress', msg, { member }),
    );
    const { primary } = p;
    const run = assembleRun(p, this.#dir, {
      onExit: (m, child, exit) => this.#onExit(m, child, exit),
      primary: () => this.#primary,
      event: (kind, message, member, level) => this.#event(kind, message, { member, level }),
    });
    const { t, secrets, pool, children, sync, trigger } = run;
    this.#run = run;
    this.#primary = primary.name;
    const progress = (member: string, msg: string): void =>
      this.#event('progress', msg, { member: member || undefined });
    await startInOrder({
      pool,
      primary,
      spawn: (m) => this.#spawn(m),
      progress,
      onReplicaSynced: (name) => sync.mark(name, primary.name, true),
    });
    const watcher = new SentinelWatcher({ topology: t, secrets, pollMs: this.#tickMs });
    this.#watcher = watcher;
    watcher.on('message', (m) => {
      this.#event('sentinel', `${m.channel} ${m.payload}`, { member: m.sentinel });
      // Events only trigger a look; the periodic reconcile remains the source of truth.
      if (RECONCILE_ON.has(m.channel)) this.#loop.kick();
    });
    // The watcher names a promoted replica as soon as it answers ROLE master while the old
    // primary is gone (before Sentinel's own confirmation): rejoin the old primary right then.
    watcher.on('primary', ({ to, verdict }) => {
      if (this.#status === 'running' && to && to.name !== this.#primary)
        this.#onFailover(this.#primary, to.name, verdict.reason);
    });
    await watcher.start();
    const h = await waitHealthy(pool, t, this.#healthTimeoutMs, progress, {
      children: () => children.all(),
    });
    this.#healthKey = 'healthy';
    trigger.watch(findNode(t, this.#primary) ?? primary);
    this.#event(
      'healthy',
      `healthy: primary ${h.primary ?? '?'} at ${primary.host}:${primary.port}, ${t.nodes.length - 1} replica(s) in sync, ${t.sentinels.length} sentinels agree`,
      {
        data: { primary: h.primary },
      },
    );
  }

  #spawn(m: Member<number>): Child {
    const run = this.#run!;
    const child = run.children.spawn(m);
    run.pool.reset(m.name);
    this.#event(
      'child-started',
      `${m.kind === 'node' ? 'redis-server' : 'redis-sentinel'} started (pid ${child.pid ?? '?'}, port ${m.port})`,
      { member: m.name, data: { pid: child.pid } },
    );
    return child;
  }

  #onExit(m: Member<number>, child: Child, exit: ChildExit): void {
    if (this.#status === 'stopping' || this.#status === 'stopped') return;
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    this.#event('child-exited', `${m.kind === 'node' ? 'redis-server' : 'redis-sentinel'} ${how}`, {
      member: m.name,
      level: 'warn',
      data: { code: exit.code, signal: exit.signal },
    });
    if (this.#status !== 'running') return; // during boot, the waits report it
    const { children, t, sync } = this.#run!;
    const restart = (start: () => void, firstImmediate = false): void => {
      const delay = children.restartLater(m.name, child, start, firstImmediate);
      this.#event('restart', `restarting in ${delay}ms`, { member: m.name });
    };
    if (m.kind === 'sentinel') {
      return restart(() => {
        const { pool } = this.#run!;
        const c = this.#spawn(m);
        void waitSentinelPing(pool, c)
          .then(() => tuneSentinel(pool, m.name))
          .catch(() => undefined);
      });
    }
    sync.forget(m.name);
    if (m.name !== this.#primary)
      return restart(() => this.#startReplica(m, 'restarting as a replica'));

    const synced = sync.candidates(m.name, (n) => children.has(n));
    const d = decideOnPrimaryExit({ persistence: t.persistence.mode, syncedReplicas: synced });
    if (d.action === 'wait-for-failover') {
      this.#deadPrimary = { name: m.name, since: Date.now(), warned: false };
      this.#event(
        'primary-down',
        `primary died: not restarting it as a primary; waiting for Sentinel to promote one of ${d.candidates.join(', ')}`,
        { member: m.name, level: 'warn' },
      );
      void this.#run!.trigger.exited(m.name);
      return;
    }
    this.#event('decision', d.reason, { member: m.name, level: d.dataLost ? 'error' : 'warn' });
    // Back before down-after, Sentinel never acts on stale replica state; backoff only on a crash loop.
    restart(() => this.#startNode(m, m, 'restarted as primary'), true);
  }

  #startNode(node: NodeSpec<number>, primary: NodeSpec<number>, why: string): void {
    const { t, secrets } = this.#run!;
    writeRendered([
      renderNode(t, node, {
        root: this.#dir,
        secrets,
        primary,
        sentinelIds: {},
        gatePriority: true,
      }),
    ]);
    this.#spawn(node);
    if (primary.name !== node.name)
      void connectReplicaNow(node, primary, credentials(this.topology, secrets, 'admin')).catch(
        () => undefined,
      );
    this.#event(
      'decision',
      `${why}${primary.name === node.name ? '' : ` of ${primary.name} (promotion priority 0 until synced)`}`,
      { member: node.name },
    );
  }

  #startReplica(node: NodeSpec<number>, why: string): void {
    const t = this.topology;
    this.#startNode(node, findNode(t, this.#primary) ?? designatedPrimary(t), why);
  }

  async #reconcile(): Promise<void> {
    const run = this.#run!;
    const { t, pool, children } = run;
    const obs = await observe(pool);
    if (this.#status !== 'running') return;
    const maj = majorityPrimary(t, obs.sentinels);
    const promoted = obs.nodes.find((n) => n.name === maj.name);
    // Only a look that started after the last switch may cause one (an older one is stale).
    const fresh = obs.at > this.#switchedAt;
    if (
      fresh &&
      maj.name &&
      maj.name !== this.#primary &&
      promoted?.reachable &&
      promoted.role === 'master'
    )
      this.#onFailover(this.#primary, maj.name, 'named by a sentinel majority, confirmed by ROLE');

    const stale = decideDemotion({
      oldPrimary: this.#oldPrimary,
      primary: this.#primary,
      majority: maj.name,
      obs,
    });
    if (obs.nodes.find((n) => n.name === this.#oldPrimary)?.role === 'slave')
      this.#oldPrimary = undefined; // back as a replica: nothing left to demote
    const staleNode = stale && fresh ? findNode(t, stale) : undefined;
    if (staleNode) {
      this.#oldPrimary = undefined;
      this.#demote(staleNode, this.#primary);
    }
    run.sync.scan(obs, this.#primary, (name) => children.has(name));

    const dead = this.#deadPrimary;
    if (dead && !dead.warned && Date.now() - dead.since > t.supervisor.failoverWaitMs) {
      dead.warned = true;
      this.#event(
        'warning',
        `no failover ${Math.round((Date.now() - dead.since) / 1000)}s after the primary died; still waiting (check quorum: \`redis-ha status\`)`,
        { member: dead.name },
      );
    }
    const h = analyzeHealth(t, obs);
    const key = problemKey(h);
    if (key !== this.#healthKey) {
      this.#healthKey = key;
      if (h.healthy) this.#event('healthy', `healthy again: primary ${h.primary ?? '?'}`);
      else this.#event('unhealthy', `degraded: ${h.problems.join('; ')}`, { level: 'warn' });
    }
  }

  /** The replaced primary still runs (hung, paused): make it a replica the moment it answers. */
  #demote(old: NodeSpec<number>, to: string): void {
    const next = findNode(this.topology, to);
    if (!next) return;
    void demoteWhenBack({
      old,
      to: next,
      auth: credentials(this.topology, this.#run!.secrets, 'admin'),
      timeoutMs: this.topology.sentinel.failoverTimeoutMs,
      wanted: () => {
        if (this.#status !== 'running' || this.#primary !== to) return false;
        const w = this.#watcher?.primary?.name;
        return w === old.name ? false : w === to ? true : 'wait';
      },
    }).then((r) => {
      const msg = `still said role:master after the switch to ${to}: REPLICAOF ${to} sent`;
      if (r === 'demoted') this.#event('decision', msg, { member: old.name });
      if (r !== 'unreachable' && this.#oldPrimary === old.name) this.#oldPrimary = undefined;
    });
  }

  #onFailover(from: string, to: string, how: string): void {
    this.#primary = to;
    this.#switchedAt = Date.now();
    const next = findNode(this.topology, to);
    if (next) this.#run!.trigger.watch(next);
    this.#dir.updateState((s) => {
      s.primary = to;
      s.failovers.push({ at: new Date().toISOString(), from, to });
    });
    this.#event('failover', `failover: ${from} -> ${to} (${how})`, { data: { from, to } });
    const wasSynced = this.#run!.sync.forget(to);
    this.#run!.sync.forget(from);
    this.#oldPrimary = from;
    const dead = this.#deadPrimary;
    const node = findNode(this.topology, from);
    if (node && dead?.name !== from && this.#run!.children.has(from)) this.#demote(node, to);
    if (!dead || dead.name !== from || !node) return;
    this.#deadPrimary = undefined;
    const d = decideRejoin({ promoted: to, promotedWasSynced: wasSynced, oldPrimary: from });
    if (d.action === 'hold') return this.#event('error', d.reason, { member: from });
    this.#startReplica(node, `rejoining as a replica (the seed's manual "fallback")`);
  }
}
