import { LocalProcesses } from '../backends/local.js';
import { sweepOrphans } from '../backends/orphans.js';
import { findRedis, type RedisBinaries } from '../backends/redis-bin.js';
import { HaController } from '../controller/controller.js';
import { hangGuards } from '../controller/hang-guard.js';
import { redisNodeOps } from '../controller/node-ops.js';
import { SentinelAuthority } from '../controller/sentinel-authority.js';
import { RedisHaError, errorMessage } from '../errors/errors.js';
import { appendEvent, makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { HaEventKind, Level } from '../events/events.js';
import { renderAll, renderSentinel, writeRendered } from '../render/render-all.js';
import { LiveSecrets } from '../state/live-secrets.js';
import { acquireLock, releaseLock } from '../state/lock.js';
import { prepareState, type PreparedState } from '../state/prepare.js';
import { newSentinelId, StateDir } from '../state/state-dir.js';
import {
  designatedPrimary,
  findNode,
  type BoundTopology,
  type NodeSpec,
  type Topology,
} from '../topology/model.js';
import { problemKey } from '../view/health.js';
import { ClusterView } from '../view/view.js';
import { exitedError, waitHealthy } from '../view/wait-healthy.js';
import { bootInOrder } from './boot.js';
import { startDaemons, type Daemons } from './run-daemons.js';

export type SystemStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface SystemEvents extends Record<string, unknown> {
  event: HaEvent;
  status: SystemStatus;
}

export interface LocalSystemOptions {
  /** Bound on reaching "healthy" once the sentinels are started. */
  healthTimeoutMs?: number;
}

interface Running {
  t: BoundTopology;
  secrets: LiveSecrets;
  backend: LocalProcesses;
  view: ClusterView;
  controller: HaController;
  daemons: Daemons;
  /** What `#prepare` made: the backup scheduler's (it reads node dirs). */
  prepared: PreparedState;
}

/**
 * `up`: the composition root of a local topology. Every member a child process (backends/
 * local.ts), one view of them (view/), the HA policy over both (controller/), and the daemons
 * that serve it (endpoint, exporter, dashboard); one events file. Starts in a safe order, stops
 * in the reverse one; on a failed start nothing is left running.
 */
export class LocalSystem extends TypedEmitter<SystemEvents> {
  #status: SystemStatus = 'idle';
  readonly #input: Topology;
  readonly #dir: StateDir;
  readonly #o: LocalSystemOptions;
  #run: Partial<Running> = {};
  #healthKey = '';

  constructor(topology: Topology, o: LocalSystemOptions = {}) {
    super();
    this.#input = topology;
    this.#dir = new StateDir(topology.stateDir);
    this.#o = o;
  }

  get status(): SystemStatus {
    return this.#status;
  }
  get dir(): StateDir {
    return this.#dir;
  }
  get topology(): BoundTopology {
    return this.#need('t');
  }
  get view(): ClusterView {
    return this.#need('view');
  }
  get secrets(): LiveSecrets {
    return this.#need('secrets');
  }
  get primary(): string | undefined {
    return this.#need('controller').primary;
  }

  #need<K extends keyof Running>(k: K): Running[K] {
    const v = this.#run[k];
    if (v === undefined) throw new RedisHaError('NOT_RUNNING', 'the topology has not started');
    return v;
  }

  /** Boots the topology and resolves once it is verified healthy and every daemon serves. */
  async start(): Promise<void> {
    if (this.#status !== 'idle')
      throw new RedisHaError('INTERNAL', `cannot start a system that is ${this.#status}`);
    this.#setStatus('starting');
    try {
      acquireLock(this.#dir);
      await this.#boot();
      const r = this.#run as Running;
      r.daemons = await startDaemons(r.view, r.secrets, (e) => this.#log(e), r.prepared);
      const board = r.daemons.dashboard;
      if (board) this.on('event', (e) => board.addEvent(e));
    } catch (e) {
      this.#event('error', `startup failed: ${errorMessage(e)}`);
      await this.#teardown();
      this.#setStatus('failed');
      throw e;
    }
    this.#setStatus('running');
    this.#event('ready', 'ready');
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
    const r = this.#run;
    // Clients leave before the servers go.
    for (const d of [...(r.daemons?.list ?? [])].reverse()) await d.stop().catch(() => undefined);
    r.controller?.stop();
    r.view?.stop();
    r.secrets?.stop();
    await r.backend?.stopAll(r.controller?.primary, this.#input.supervisor.stopTimeoutMs);
    releaseLock(this.#dir);
  }

  /** Binaries, leftovers of a dead supervisor, the state, configs rendered for the start. */
  async #prepare(): Promise<PreparedState & { bins: RedisBinaries; primary: NodeSpec<number> }> {
    const bins = await findRedis();
    this.#event('progress', `using Redis ${bins.version} (${bins.server})`);
    this.#dir.ensure();
    for (const s of await sweepOrphans(this.#dir, this.#input.supervisor.stopTimeoutMs)) {
      const msg = `stopped ${s.name} (pid ${s.pid}) left running by a previous supervisor`;
      this.#event('decision', msg, { member: s.name });
    }
    const p = await prepareState(this.#input, { checkFree: true });
    const { t, state, secrets } = p;
    const primary = (state.primary && findNode(t, state.primary)) || designatedPrimary(t);
    if (primary.name !== designatedPrimary(t).name)
      this.#event('progress', `${primary.name} is the primary since the last failover (state dir)`);
    const { sentinelIds } = state;
    this.#dir.writeTopology(t);
    writeRendered(
      renderAll(t, { root: this.#dir, secrets, primary, sentinelIds, gatePriority: true }),
    );
    return { ...p, bins, primary };
  }

  async #boot(): Promise<void> {
    const prepared = await this.#prepare();
    const { t, secrets, bins, primary } = prepared;
    const live = new LiveSecrets(t, this.#dir, secrets);
    const backend = new LocalProcesses({ t, dir: this.#dir, bins, secrets: live });
    const view = new ClusterView({ topology: t, secrets: live, nodeUser: 'admin' });
    const { links } = view;
    const authority = new SentinelAuthority(links);
    const controller = new HaController({
      topology: t,
      view,
      backend,
      authority,
      nodes: redisNodeOps(links),
      primary: primary.name,
      hangGuard: hangGuards(() => links.nodeAuth(), t.sentinel.downAfterMs),
    });
    this.#run = { t, secrets: live, backend, view, controller, prepared };
    this.#wire();
    const progress = (member: string, msg: string): void =>
      this.#event('progress', msg, { member: member || undefined });
    await bootInOrder({ links, backend, controller, authority, primary, progress });
    await view.start();
    const check = (): void => {
      const dead = backend.members.find((m) => !backend.alive(m.name));
      if (dead) throw exitedError(dead.name, 'waiting for the cluster to become healthy');
    };
    const h = await waitHealthy(view, this.#o.healthTimeoutMs ?? 20_000, (l) => progress('', l), {
      check,
    });
    controller.start();
    live.start();
    this.#healthKey = 'healthy';
    this.#event(
      'healthy',
      `healthy: primary ${h.primary ?? '?'} at ${primary.host}:${primary.port}, ${t.nodes.length - 1} replica(s) in sync, ${t.sentinels.length} sentinels agree`,
      { data: { primary: h.primary } },
    );
  }

  /** Every part's events into the one log; the one record of failovers; health changes. */
  #wire(): void {
    const { backend, view, controller, secrets } = this.#run as Running;
    const log = (e: HaEvent): void => this.#log(e);
    backend.on('event', log);
    controller.on('event', log);
    secrets.on('event', log);
    view.on('event', (e) => e.level !== 'info' && log(e));
    view.on('sentinel', (m) =>
      this.#event('sentinel', `${m.channel} ${m.payload}`, { member: m.sentinel }),
    );
    controller.on('failover', ({ from, to }) => this.#dir.recordFailover(from, to));
    view.on('look', ({ health: h }) => {
      if (this.#status !== 'running') return;
      const key = problemKey(h);
      if (key === this.#healthKey) return;
      this.#healthKey = key;
      if (h.healthy) this.#event('healthy', `healthy again: primary ${h.primary ?? '?'}`);
      else this.#event('unhealthy', `degraded: ${h.problems.join('; ')}`, { level: 'warn' });
    });
  }

  #event(
    kind: HaEventKind,
    message: string,
    extra: { member?: string | undefined; level?: Level; data?: Record<string, unknown> } = {},
  ): void {
    this.#log(makeEvent(kind, message, extra));
  }

  /**
   * `apply` recorded a topology with other members (the state dir's topology.json; SIGUSR1 to
   * the supervisor): removed members' processes stop, added ones start (a node as a replica at
   * priority 0 until synced), and the view, the controller and the backend follow the new
   * members. The primary is never removed here: `apply` switches over first.
   */
  async reconfigure(): Promise<string> {
    if (this.#status !== 'running') return 'not running';
    const r = this.#run as Running;
    const next = this.#dir.readTopology();
    if (!next) return 'no recorded topology';
    const names = (t: BoundTopology): string[] => [...t.nodes, ...t.sentinels].map((m) => m.name);
    const was = new Set(names(r.t));
    const added = [...next.nodes, ...next.sentinels].filter((m) => !was.has(m.name));
    const removed = names(r.t).filter((n) => !names(next).includes(n));
    if (added.length === 0 && removed.length === 0) return 'members unchanged';
    const primary = findNode(next, r.controller.primary ?? '');
    if (!primary) {
      const msg = `not reconfigured: the primary ${r.controller.primary ?? '(none)'} would be removed, or none is confirmed`;
      this.#event('error', msg, { level: 'error' });
      return msg;
    }
    const state = this.#dir.readState();
    const newSentinels = next.sentinels.filter((m) => !was.has(m.name));
    for (const s of newSentinels) state.sentinelIds[s.name] ??= newSentinelId();
    if (newSentinels.length > 0) this.#dir.writeState(state);
    const { sentinelIds } = state;
    const ctx = { root: this.#dir, secrets: r.secrets.current, primary, sentinelIds };
    for (const s of newSentinels)
      writeRendered([renderSentinel(next, s, { ...ctx, gatePriority: true })]);
    r.t = next;
    r.prepared = { ...r.prepared, t: next };
    await r.backend.retopology(next, this.#input.supervisor.stopTimeoutMs);
    r.view.setTopology(next);
    r.controller.retopology(next, added);
    const what = [...added.map((m) => `+${m.name}`), ...removed.map((n) => `-${n}`)].join(' ');
    this.#event('decision', `members changed by \`apply\`: ${what}`);
    return what;
  }

  /** An event of this process that happened outside the system (a stray rejection). */
  report(e: HaEvent): void {
    this.#log(e);
  }

  #log(e: HaEvent): void {
    appendEvent(this.#dir.eventsFile, e);
    this.emit('event', e);
  }

  #setStatus(s: SystemStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
