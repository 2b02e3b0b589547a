import type { ViewLike, ViewLikeEvents } from '../controller/view-like.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { AclUser } from '../state/secrets.js';
import { clusterNodes, type BoundTopology, type NodeSpec } from '../topology/model.js';
import { Links } from '../view/links.js';
import { analyzeCluster, type ClusterView as Analysis, type ShardView } from './analyze.js';
import { clusterEvents, type ClusterEvent } from './events.js';
import { snapshotAll } from './form.js';

export type MonitorStatus = 'idle' | 'running' | 'stopped';

export interface MonitorEvents extends Record<string, unknown> {
  status: MonitorStatus;
  event: HaEvent;
  /** What changed between two looks, per shard. */
  cluster: ClusterEvent;
  /** Every look's analysis. */
  look: Analysis;
}

/**
 * One shard as the HA controller sees it: its confirmed primary (the owner of its slots in the
 * majority's map, answering as a primary, flagged by nobody), which replicas are synced (the
 * strict rule; once synced, kept until the replica restarts, resyncs or follows another node),
 * and each member's role. Redis Cluster demotes a returned old primary itself (a lower config
 * epoch), so there are never stale masters for the controller to demote.
 */
export class ShardWatch extends TypedEmitter<ViewLikeEvents> implements ViewLike {
  readonly name: string;
  primary: NodeSpec<number> | undefined;
  readonly #nodes: readonly NodeSpec<number>[];
  #synced = new Set<string>();
  #roles = new Map<string, 'master' | 'slave' | 'unknown'>();
  #cutOff = false;

  constructor(name: string, nodes: readonly NodeSpec<number>[]) {
    super();
    this.name = name;
    this.#nodes = nodes;
  }

  synced(name: string): boolean {
    return this.#synced.has(name);
  }
  roleOf(node: NodeSpec<number>): 'master' | 'slave' | 'unknown' | undefined {
    return this.#roles.get(node.name);
  }
  staleMasters(): string[] {
    return [];
  }
  /** Clients learn the slot owner from any node's map: the confirmed primary is announced. */
  announced(node: NodeSpec<number>): boolean {
    return this.primary?.name === node.name;
  }
  /** No majority of the slot-owning primaries answers (this process may be on the minority side). */
  cutOff(): boolean {
    return this.#cutOff;
  }

  update(s: ShardView, a: Analysis): void {
    this.#cutOff = !a.primaries.quorum;
    const prevSynced = this.#synced;
    const next = new Set<string>();
    for (const m of s.members) {
      this.#roles.set(m.name, !m.reachable ? 'unknown' : m.role === 'primary' ? 'master' : 'slave');
      const gone = !m.reachable || m.role !== 'replica' || m.syncing || m.following !== s.primary;
      if (m.synced || (prevSynced.has(m.name) && !gone)) next.add(m.name);
    }
    const to = s.primaryConfirmed ? this.#nodes.find((n) => n.name === s.primary) : undefined;
    const wasSynced = to !== undefined && prevSynced.has(to.name);
    this.#synced = next;
    for (const n of this.#nodes)
      if (next.has(n.name) !== prevSynced.has(n.name))
        this.emit('synced', { node: n, synced: next.has(n.name) });
    if (to?.name !== this.primary?.name) {
      this.primary = to;
      const reason = to
        ? `${to.name} owns ${s.slotCount} slots in the majority's map (config epoch ${s.configEpoch ?? '?'})`
        : `${s.name}: no confirmed primary`;
      this.emit('primary', { to, verdict: { reason }, wasSynced });
    }
    this.emit('look', { obs: { at: a.at, nodes: [] } });
    this.emit('state', undefined);
  }
}

export interface ClusterMonitorOptions {
  topology: BoundTopology;
  secrets: SecretsSource;
  pollMs?: number;
  /** Who looks: admin for `up` (it also acts), monitor for a read-only daemon (the exporter). */
  nodeUser?: AclUser;
}

/**
 * The view of a Redis Cluster in one process: one connection per node, a look at every node
 * (CLUSTER INFO, CLUSTER NODES, INFO replication) every pollMs analysed by the pure analysis
 * (analyze.ts), a ShardWatch per shard for its controller, typed events for the rest.
 */
export class ClusterMonitor extends TypedEmitter<MonitorEvents> {
  #status: MonitorStatus = 'idle';
  readonly topology: BoundTopology;
  readonly links: Links;
  readonly #pollMs: number;
  readonly #shards = new Map<string, ShardWatch>();
  #last: Analysis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<Analysis> | undefined;

  constructor(o: ClusterMonitorOptions) {
    super();
    this.topology = o.topology;
    this.#pollMs = o.pollMs ?? 250;
    this.links = new Links(o.topology, o.secrets, {
      nodeUser: o.nodeUser ?? 'admin',
      timeoutMs: 500,
    });
    for (const s of o.topology.cluster?.shards ?? []) {
      const names = [s.primary, ...s.replicas];
      const nodes = o.topology.nodes.filter((n) => names.includes(n.name));
      this.#shards.set(s.name, new ShardWatch(s.name, nodes));
    }
  }

  get status(): MonitorStatus {
    return this.#status;
  }
  get last(): Analysis | undefined {
    return this.#last;
  }
  shard(name: string): ShardWatch {
    const s = this.#shards.get(name);
    if (!s) throw new Error(`no shard ${name}`);
    return s;
  }
  get shards(): ShardWatch[] {
    return [...this.#shards.values()];
  }

  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#status = 'running';
    this.emit('status', 'running');
    await this.links.connectAll();
    await this.look();
  }

  stop(): void {
    if (this.#status === 'stopped') return;
    this.#status = 'stopped';
    clearTimeout(this.#timer);
    this.links.close();
    this.emit('status', 'stopped');
  }

  /** A look now, shared with one under way; the next follows pollMs after it. */
  look(): Promise<Analysis> {
    this.#looking ??= this.#look().finally(() => {
      this.#looking = undefined;
      clearTimeout(this.#timer);
      if (this.#status === 'running')
        this.#timer = setTimeout(() => void this.look().catch(() => undefined), this.#pollMs);
    });
    return this.#looking;
  }

  async #look(): Promise<Analysis> {
    const t = this.topology;
    const snaps = await snapshotAll(this.links, clusterNodes(t));
    const a = analyzeCluster(t.cluster?.shards ?? [], snaps, { strictOffsets: false });
    const before = this.#last;
    this.#last = a;
    if (this.#status !== 'running') return a;
    for (const e of clusterEvents(before, a)) {
      this.emit('cluster', e);
      this.emit(
        'event',
        makeEvent('status', describeEvent(e), { member: 'shard' in e ? e.shard : undefined }),
      );
    }
    for (const s of a.shards) this.#shards.get(s.name)?.update(s, a);
    this.emit('look', a);
    return a;
  }
}

function describeEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'primary-confirmed':
      return `${e.node} is the primary of ${e.shard} (config epoch ${e.configEpoch ?? '?'})`;
    case 'primary-leaving':
      return `${e.node} is no longer a confirmed primary of ${e.shard} (${e.reason})`;
    case 'replica-synced':
      return `${e.node} is synced with ${e.primary}`;
    case 'replica-lost':
      return `${e.node} is no longer synced`;
    case 'quorum-lost':
      return `only ${e.reachable} of the slot-owning primaries answer, ${e.needed} needed: the cluster refuses writes`;
    case 'quorum-regained':
      return `${e.reachable} slot-owning primaries answer again`;
  }
}
