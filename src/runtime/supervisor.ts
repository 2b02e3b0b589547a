import path from 'node:path';
import { RedisHaError, errorMessage } from '../errors/errors.js';
import {
  appendEvent,
  makeEvent,
  TypedEmitter,
  type HaEvent,
  type HaEventKind,
  type Level,
} from '../events/events.js';
import { renderAll, renderNode, writeRendered } from '../render/render-all.js';
import { loadOrCreateSecrets, type Secrets } from '../secrets/store.js';
import { SentinelEventStream } from '../sentinel/event-stream.js';
import {
  designatedPrimary,
  findNode,
  type BoundTopology,
  type Member,
  type NodeSpec,
  type Topology,
} from '../topology/model.js';
import { Child } from './child.js';
import { decideOnPrimaryExit, decideRejoin, nextBackoff } from './decisions.js';
import { analyzeHealth, majorityPrimary } from './health.js';
import { acquireLock, releaseLock } from './lock.js';
import { observe, ClientPool } from './observe.js';
import { sweepOrphans } from './orphans.js';
import { bindPorts } from './ports.js';
import { waitHealthy, waitNodeReady, waitReplicaSynced } from './readiness.js';
import { waitFor } from './wait.js';
import { findRedis, type RedisBinaries } from './redis-bin.js';
import { newSentinelId, StateDir } from './state-dir.js';

const RECONCILE_ON = new Set([
  '+switch-master',
  '+promoted-slave',
  '+failover-end',
  '-odown',
  '+sdown',
  '+odown',
  '+tilt',
  '-tilt',
]);

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
  #t: BoundTopology | undefined;
  #secrets: Secrets | undefined;
  #bins: RedisBinaries | undefined;
  #pool: ClientPool | undefined;
  #stream: SentinelEventStream | undefined;
  #children = new Map<string, Child>();
  #attempts = new Map<string, number>();
  #timers = new Set<NodeJS.Timeout>();
  #synced = new Set<string>();
  #primary = '';
  #deadPrimary: { name: string; since: number; warned: boolean } | undefined;
  #held = new Set<string>();
  #ticking = false;
  #tickTimer: NodeJS.Timeout | undefined;
  #kickPending = false;
  #healthKey = '';

  constructor(o: SupervisorOptions) {
    super();
    this.#input = o.topology;
    this.#dir = new StateDir(o.topology.stateDir);
    this.#tickMs = o.tickMs ?? 500;
    this.#healthTimeoutMs = o.healthTimeoutMs ?? 20_000;
  }

  get status(): SupervisorStatus {
    return this.#status;
  }
  get topology(): BoundTopology {
    if (!this.#t) throw new RedisHaError('NOT_RUNNING', 'the supervisor has not started');
    return this.#t;
  }
  get primary(): string {
    return this.#primary;
  }
  get stateDir(): StateDir {
    return this.#dir;
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
    this.#kick();
  }

  /** Stops sentinels first (so none fails over), then replicas, then the primary; bounded. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    this.#event('status', 'stopping every process');
    await this.#teardown();
    this.#event('status', 'stopped');
    this.#setStatus('stopped');
  }

  async #teardown(): Promise<void> {
    clearTimeout(this.#tickTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#stream?.stop();
    this.#pool?.close();
    const grace = this.#input.supervisor.stopTimeoutMs;
    const stopGroup = (pred: (c: Child) => boolean): Promise<unknown> =>
      Promise.all([...this.#children.values()].filter(pred).map((c) => c.stop(grace)));
    await stopGroup((c) => c.spec.kind === 'sentinel');
    await stopGroup((c) => c.spec.kind === 'node' && c.spec.name !== this.#primary);
    await stopGroup(() => true);
    this.#children.clear();
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
    this.#bins = await findRedis();
    this.#event('progress', `using Redis ${this.#bins.version} (${this.#bins.server})`);
    this.#dir.ensure();
    for (const s of await sweepOrphans(this.#dir, this.#input.supervisor.stopTimeoutMs)) {
      this.#event(
        'decision',
        `stopped ${s.name} (pid ${s.pid}) left running by a previous supervisor`,
        { member: s.name },
      );
    }
    const state = this.#dir.readState();
    const t = await bindPorts(this.#input, state, true);
    this.#t = t;
    for (const s of t.sentinels) state.sentinelIds[s.name] ??= newSentinelId();
    const primary = (state.primary && findNode(t, state.primary)) || designatedPrimary(t);
    if (primary.name !== designatedPrimary(t).name) {
      this.#event('progress', `${primary.name} is the primary since the last failover (state dir)`);
    }
    state.primary = primary.name;
    this.#dir.writeState(state);
    this.#primary = primary.name;
    this.#secrets = loadOrCreateSecrets(this.#dir);
    writeRendered(
      renderAll(t, {
        root: this.#dir,
        secrets: this.#secrets,
        primary,
        sentinelIds: state.sentinelIds,
        gatePriority: true,
      }),
    );
    this.#pool = new ClientPool(t, this.#secrets);
    const readyTimeout = Math.max(10_000, t.replication.syncTimeoutMs);

    this.#event(
      'progress',
      `starting ${primary.name} (primary, ${primary.host}:${primary.port}) ...`,
      { member: primary.name },
    );
    await waitNodeReady(this.#pool, this.#spawn(primary), readyTimeout);
    this.#event('progress', `starting ${primary.name} ... ready`, { member: primary.name });

    const replicas = t.nodes.filter((n) => n.name !== primary.name);
    const replicaChildren = replicas.map((r) => {
      this.#event('progress', `starting ${r.name} (replica, ${r.host}:${r.port}) ...`, {
        member: r.name,
      });
      return this.#spawn(r);
    });
    await Promise.all(replicaChildren.map((c) => waitNodeReady(this.#pool!, c, readyTimeout)));
    await Promise.all(
      replicaChildren.map(async (c) => {
        await waitReplicaSynced(this.#pool!, c, primary, t.replication.syncTimeoutMs, (m, msg) =>
          this.#event('progress', msg, { member: m }),
        );
        await this.#markSynced(c.spec.name);
      }),
    );

    const sentinelChildren = t.sentinels.map((s) => this.#spawn(s));
    this.#event('progress', `starting ${t.sentinels.length} sentinels (quorum ${t.quorum}) ...`);
    await Promise.all(sentinelChildren.map((c) => waitSentinelPing(this.#pool!, c)));
    this.#stream = new SentinelEventStream(t, this.#secrets.sentinelPassword, (m) => {
      this.#event('sentinel', `${m.channel} ${m.payload}`, { member: m.sentinel });
      // Events only trigger a look; the periodic reconcile remains the source of truth.
      if (RECONCILE_ON.has(m.channel)) this.#kick();
    });
    this.#stream.start();
    const h = await waitHealthy(
      this.#pool,
      t,
      this.#healthTimeoutMs,
      (m, msg) => this.#event('progress', msg, { member: m || undefined }),
      () => [...this.#children.values()],
    );
    this.#healthKey = 'healthy';
    this.#event(
      'healthy',
      `healthy: primary ${h.primary ?? '?'} at ${primary.host}:${primary.port}, ${replicas.length} replica(s) in sync, ${t.sentinels.length} sentinels agree`,
      {
        data: { primary: h.primary },
      },
    );
  }

  #spawn(m: Member<number>): Child {
    const bins = this.#bins!;
    const child = new Child({
      name: m.name,
      kind: m.kind,
      binary: m.kind === 'node' ? bins.server : bins.sentinel,
      args: [this.#dir.configFile(m.kind, m.name)],
      cwd: this.#dir.memberDir(m.kind, m.name),
      pidFile: this.#dir.childPidFile(m.name),
      outputFile: path.join(this.#dir.memberDir(m.kind, m.name), 'stdout.log'),
    });
    this.#children.set(m.name, child);
    this.#pool?.reset(m.name);
    this.#event(
      'child-started',
      `${m.kind === 'node' ? 'redis-server' : 'redis-sentinel'} started (pid ${child.pid ?? '?'}, port ${m.port})`,
      { member: m.name, data: { pid: child.pid } },
    );
    void child.exited.then((exit) => {
      if (this.#children.get(m.name) !== child) return;
      if (this.#status === 'stopping' || this.#status === 'stopped') return;
      const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
      this.#event(
        'child-exited',
        `${m.kind === 'node' ? 'redis-server' : 'redis-sentinel'} ${how}`,
        { member: m.name, level: 'warn', data: { code: exit.code, signal: exit.signal } },
      );
      if (this.#status === 'running') this.#onExit(m, child);
    });
    return child;
  }

  #onExit(m: Member<number>, child: Child): void {
    this.#children.delete(m.name);
    if (m.kind === 'sentinel') return this.#restartLater(m, child, () => this.#spawn(m));
    this.#synced.delete(m.name);
    if (m.name !== this.#primary) {
      return this.#restartLater(m, child, () => this.#startReplica(m, 'restarting as a replica'));
    }
    const synced = this.topology.nodes
      .filter(
        (n) =>
          n.name !== m.name &&
          this.#synced.has(n.name) &&
          n.priority > 0 &&
          this.#children.has(n.name),
      )
      .map((n) => n.name);
    const d = decideOnPrimaryExit({
      persistence: this.topology.persistence.mode,
      syncedReplicas: synced,
    });
    if (d.action === 'wait-for-failover') {
      this.#deadPrimary = { name: m.name, since: Date.now(), warned: false };
      this.#event(
        'primary-down',
        `primary died: not restarting it as a primary; waiting for Sentinel to promote one of ${d.candidates.join(', ')}`,
        { member: m.name, level: 'warn' },
      );
      return;
    }
    this.#event('decision', d.reason, { member: m.name, level: d.dataLost ? 'error' : 'warn' });
    this.#restartLater(m, child, () => this.#startNode(m, m, 'restarted as primary'));
  }

  #restartLater(m: Member<number>, child: Child, start: () => void): void {
    const b = nextBackoff(
      this.#attempts.get(m.name) ?? 0,
      Date.now() - child.startedAt,
      this.#input.supervisor.restartBackoffMinMs,
      this.#input.supervisor.restartBackoffMaxMs,
    );
    this.#attempts.set(m.name, b.attempts);
    this.#event('restart', `restarting in ${b.delayMs}ms`, { member: m.name });
    this.#schedule(() => {
      if (this.#status === 'running') start();
    }, b.delayMs);
  }

  #startNode(node: NodeSpec<number>, primary: NodeSpec<number>, why: string): void {
    writeRendered([
      renderNode(this.topology, node, {
        root: this.#dir,
        secrets: this.#secrets!,
        primary,
        sentinelIds: {},
        gatePriority: true,
      }),
    ]);
    this.#spawn(node);
    this.#event(
      'decision',
      `${why}${primary.name === node.name ? '' : ` of ${primary.name} (promotion priority 0 until synced)`}`,
      { member: node.name },
    );
  }

  #startReplica(node: NodeSpec<number>, why: string): void {
    const primary = findNode(this.topology, this.#primary) ?? designatedPrimary(this.topology);
    this.#startNode(node, primary, why);
  }

  /** A replica that completed its sync becomes a promotion candidate. */
  async #markSynced(name: string): Promise<void> {
    const node = findNode(this.topology, name);
    if (!node || this.#synced.has(name)) return;
    await this.#pool!.get(node).config('SET', 'replica-priority', String(node.priority));
    this.#synced.add(name);
    this.#event('synced', `in sync with ${this.#primary}; promotion priority ${node.priority}`, {
      member: name,
    });
  }

  #schedule(fn: () => void | Promise<void>, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void Promise.resolve(fn()).catch((e: unknown) =>
        this.#event('error', `internal error: ${errorMessage(e)}`),
      );
    }, ms);
    this.#timers.add(timer);
  }

  /** Reconcile now (coalesced with a run already under way). */
  #kick(): void {
    if (this.#ticking) {
      this.#kickPending = true;
      return;
    }
    void this.#tick().catch((e: unknown) =>
      this.#event('error', `internal error: ${errorMessage(e)}`),
    );
  }

  /** observe -> analyze -> apply, every tickMs and on sentinel events. */
  async #tick(): Promise<void> {
    if (this.#status !== 'running' || this.#ticking) return;
    this.#ticking = true;
    clearTimeout(this.#tickTimer);
    try {
      await this.#reconcile();
    } finally {
      this.#ticking = false;
      if (this.#status === 'running') {
        const delay = this.#kickPending ? 0 : this.#tickMs;
        this.#kickPending = false;
        this.#tickTimer = setTimeout(() => this.#kick(), delay);
      }
    }
  }

  async #reconcile(): Promise<void> {
    const t = this.topology;
    const obs = await observe(this.#pool!);
    if (this.#status !== 'running') return;
    const byName = new Map(obs.nodes.map((n) => [n.name, n]));
    const maj = majorityPrimary(t, obs.sentinels);
    const promoted = maj.name ? byName.get(maj.name) : undefined;
    if (
      maj.name &&
      maj.name !== this.#primary &&
      promoted?.reachable &&
      promoted.role === 'master'
    ) {
      this.#onFailover(this.#primary, maj.name);
    }
    for (const n of obs.nodes) {
      const primary = findNode(t, this.#primary);
      if (
        n.role === 'slave' &&
        n.linkUp &&
        !n.syncInProgress &&
        primary &&
        n.masterHost === primary.host &&
        n.masterPort === primary.port &&
        !this.#synced.has(n.name) &&
        this.#children.has(n.name)
      ) {
        await this.#markSynced(n.name).catch(() => undefined);
      }
    }
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
    const key = h.healthy
      ? 'healthy'
      : h.problems
          .map((p) => p.replace(/flags the primary .*/, 'flags').replace(/\d+/g, 'N'))
          .join('|');
    if (key !== this.#healthKey) {
      this.#healthKey = key;
      if (h.healthy) this.#event('healthy', `healthy again: primary ${h.primary ?? '?'}`);
      else this.#event('unhealthy', `degraded: ${h.problems.join('; ')}`, { level: 'warn' });
    }
  }

  #onFailover(from: string, to: string): void {
    this.#primary = to;
    this.#dir.updateState((s) => {
      s.primary = to;
      s.failovers.push({ at: new Date().toISOString(), from, to });
    });
    this.#event(
      'failover',
      `failover: ${from} -> ${to} (named by a sentinel majority, confirmed by ROLE)`,
      { data: { from, to } },
    );
    const wasSynced = this.#synced.has(to);
    this.#synced.delete(to);
    const dead = this.#deadPrimary;
    if (!dead || dead.name !== from) return;
    this.#deadPrimary = undefined;
    const d = decideRejoin({ promoted: to, promotedWasSynced: wasSynced, oldPrimary: from });
    const node = findNode(this.topology, from);
    if (!node) return;
    if (d.action === 'hold') {
      this.#held.add(from);
      this.#event('error', d.reason, { member: from });
      return;
    }
    this.#startReplica(node, `rejoining as a replica (the seed's manual "fallback")`);
  }
}

async function waitSentinelPing(pool: ClientPool, child: Child): Promise<void> {
  const s = pool.topology.sentinels.find((x) => x.name === child.spec.name);
  if (!s) return;
  await waitFor(
    async () => {
      if (!child.running)
        throw new RedisHaError('PROCESS_FAILED', `${s.name} exited during startup`, {
          hint: `see \`redis-ha logs ${s.name}\``,
        });
      try {
        return (await pool.get(s).ping()) === 'PONG' ? true : undefined;
      } catch (e) {
        return { pending: errorMessage(e) };
      }
    },
    { timeoutMs: 10_000, intervalMs: 20, what: `${s.name} to accept connections` },
  );
}
