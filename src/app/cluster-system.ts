import type { ChildExit } from '../backends/child.js';
import { LocalProcesses, describeExit } from '../backends/local.js';
import { findRedis } from '../backends/redis-bin.js';
import { ScopedBackend } from '../backends/scoped.js';
import { ClusterAuthority, clusterNodeOps } from '../cluster/authority.js';
import { formCluster } from '../cluster/form.js';
import { ClusterMonitor } from '../cluster/monitor.js';
import { prepareCluster } from '../cluster/start.js';
import { HaController } from '../controller/controller.js';
import { hangGuards } from '../controller/hang-guard.js';
import { RedisHaError, errorMessage } from '../errors/errors.js';
import { appendEvent, makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { clusterSource } from '../metrics/cluster-metrics.js';
import type { Exporter } from '../metrics/exporter.js';
import { fixedSecrets, type SecretsSource } from '../state/live-secrets.js';
import { acquireLock, releaseLock } from '../state/lock.js';
import { StateDir } from '../state/state-dir.js';
import type { BoundTopology, ShardSpec, Topology } from '../topology/model.js';
import { startExporter } from './daemons.js';
import type { SystemEvents, SystemStatus } from './local-system.js';

interface Running {
  t: BoundTopology;
  procs: LocalProcesses;
  monitor: ClusterMonitor;
  controllers: HaController[];
  exporter: Exporter;
}

/**
 * A shard as its controller sees the topology: its members only, and Redis Cluster's own
 * timing (a primary silent for node-timeout is hung, as its peers would flag it PFAIL).
 */
function shardTopology(t: BoundTopology, s: ShardSpec): BoundTopology {
  const names = new Set([s.primary, ...s.replicas]);
  const nodeTimeoutMs = t.cluster?.nodeTimeoutMs ?? 15_000;
  return {
    ...t,
    nodes: t.nodes.filter((n) => names.has(n.name)),
    sentinel: { ...t.sentinel, downAfterMs: nodeTimeoutMs, failoverTimeoutMs: 2 * nodeTimeoutMs },
  };
}

/**
 * `up` of a Redis Cluster: every node a child process, the cluster formed (or verified), one view
 * of it (ClusterMonitor), and the same HA controller as a Sentinel topology's, one per shard, with
 * Redis Cluster as the failover authority (`CLUSTER FAILOVER FORCE` on the best synced replica
 * the moment a primary's process dies or hangs). Stops in the reverse order.
 */
export class LocalClusterSystem extends TypedEmitter<SystemEvents> {
  #status: SystemStatus = 'idle';
  readonly #input: Topology;
  readonly dir: StateDir;
  #run: Partial<Running> = {};

  constructor(topology: Topology) {
    super();
    this.#input = topology;
    this.dir = new StateDir(topology.stateDir);
  }

  get status(): SystemStatus {
    return this.#status;
  }
  get topology(): BoundTopology {
    if (!this.#run.t) throw new RedisHaError('NOT_RUNNING', 'the cluster has not started');
    return this.#run.t;
  }
  /** The primaries, shard by shard. */
  get primary(): string | undefined {
    return this.#run.monitor?.shards.map((s) => s.primary?.name ?? '?').join(', ');
  }

  async start(): Promise<void> {
    if (this.#status !== 'idle')
      throw new RedisHaError('INTERNAL', `cannot start a system that is ${this.#status}`);
    this.#set('starting');
    try {
      acquireLock(this.dir);
      await this.#boot();
    } catch (e) {
      this.report(makeEvent('error', `startup failed: ${errorMessage(e)}`));
      await this.#teardown();
      this.#set('failed');
      throw e;
    }
    this.#set('running');
    this.report(makeEvent('ready', 'ready'));
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#set('stopping');
    this.report(makeEvent('status', 'stopping every node'));
    await this.#teardown();
    this.report(makeEvent('status', 'stopped'));
    this.#set('stopped');
  }

  report(e: HaEvent): void {
    appendEvent(this.dir.eventsFile, e);
    this.emit('event', e);
  }

  async #teardown(): Promise<void> {
    const r = this.#run;
    await r.exporter?.stop();
    for (const c of r.controllers ?? []) c.stop();
    r.monitor?.stop();
    await r.procs?.stopAll(undefined, this.#input.supervisor.stopTimeoutMs);
    releaseLock(this.dir);
  }

  async #boot(): Promise<void> {
    const bins = await findRedis();
    const progress = (m: string): void => this.report(makeEvent('progress', m));
    progress(`using Redis ${bins.version} (${bins.server})`);
    const { t, secrets } = await prepareCluster(this.#input);
    const source = fixedSecrets(secrets);
    const procs = new LocalProcesses({ t, dir: this.dir, bins, secrets: source });
    const monitor = new ClusterMonitor({ topology: t, secrets: source });
    this.#run = { t, procs, monitor, controllers: [] };
    procs.on('event', (e) => this.report(e));
    monitor.on('event', (e) => this.report(e));
    const exits = new Map<string, ChildExit>();
    for (const n of t.nodes) void procs.spawn(n).exited.then((x) => exits.set(n.name, x));
    const check = (): void => {
      const [name, exit] = [...exits][0] ?? [];
      if (name && exit && this.#status === 'starting')
        throw new RedisHaError('PROCESS_FAILED', `${name} exited (${describeExit(exit)})`, {
          hint: `see \`redis-ha logs ${name}\``,
        });
    };
    const formed = await formCluster(t, { links: monitor.links, progress, check });
    await monitor.start();
    this.#supervise(t, procs, monitor);
    await this.#serve(t, monitor, source);
    this.report(
      makeEvent(
        'healthy',
        `healthy: cluster ${formed.outcome}, ${t.cluster?.shards.length ?? 0} shards, every replica synced`,
      ),
    );
  }

  /** One controller per shard, Redis Cluster the authority. */
  #supervise(t: BoundTopology, procs: LocalProcesses, monitor: ClusterMonitor): void {
    const authority = new ClusterAuthority(monitor);
    const nodes = clusterNodeOps(monitor);
    for (const s of t.cluster?.shards ?? []) {
      const st = shardTopology(t, s);
      const view = monitor.shard(s.name);
      const c = new HaController({
        topology: st,
        view,
        backend: new ScopedBackend(procs, [s.primary, ...s.replicas]),
        authority,
        nodes,
        primary: view.primary?.name,
        hangGuard: hangGuards(() => monitor.links.nodeAuth(), st.sentinel.downAfterMs),
      });
      c.on('event', (e) => this.report(e));
      c.start();
      this.#run.controllers?.push(c);
    }
  }

  /** /metrics over the one cluster view, as the monitor user (HTTP Basic). */
  async #serve(t: BoundTopology, monitor: ClusterMonitor, secrets: SecretsSource): Promise<void> {
    if (!t.exporter.enabled) return;
    this.#run.exporter = await startExporter(clusterSource(monitor, t), secrets, (e) =>
      this.report(e),
    );
  }

  #set(s: SystemStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
