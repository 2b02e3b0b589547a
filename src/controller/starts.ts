import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../backends/backend.js';
import type { HaEventKind, Level } from '../events/events.js';
import { findNode, type BoundTopology, type Member, type NodeSpec } from '../topology/model.js';
import type { ViewLike } from './view-like.js';
import { resyncsPartially } from './decisions.js';
import type { NodeOps } from './node-ops.js';
import type { Restarts } from './restarts.js';

export interface StartsOptions {
  topology: BoundTopology;
  view: ViewLike;
  backend: Backend;
  nodes: NodeOps;
  restarts: Restarts;
  running: () => boolean;
  /** The primary now. */
  primary: () => string | undefined;
  report: (kind: HaEventKind, message: string, member?: string, level?: Level) => void;
}

/** How the controller (re)starts members: with backoff, as replicas, or rejoining fresh. */
export class Starts {
  readonly #o: StartsOptions;

  constructor(o: StartsOptions) {
    this.#o = o;
  }

  stop(): void {
    this.#o.restarts.stop();
  }

  retopology(t: BoundTopology): void {
    this.#o.topology = t;
  }

  /** With backoff (`immediate`: the first at once); a replica follows the primary of that moment. */
  later(m: Member<number>, asReplica: boolean, why: string, immediate = false): void {
    const delay = this.#o.restarts.schedule(
      m.name,
      () => {
        if (!this.#o.running()) return;
        const p = this.#o.primary();
        const of = asReplica && p ? findNode(this.#o.topology, p) : undefined;
        void this.start(m, of?.name === m.name ? undefined : of, why);
      },
      immediate,
    );
    this.#o.report('restart', `restarting in ${delay}ms`, m.name);
  }

  async start(
    m: Member<number>,
    replicaOf: NodeSpec<number> | undefined,
    why: string,
    fresh = false,
  ): Promise<void> {
    await this.#o.backend.start(m, replicaOf, { fresh });
    this.#o.nodes.reset(m.name);
    if (m.kind === 'sentinel') return;
    const tail =
      (replicaOf ? ` of ${replicaOf.name} (promotion priority 0 until synced)` : '') +
      (fresh ? '; its superseded data files set aside (*.superseded), it resyncs whole' : '');
    this.#o.report('decision', `${why}${tail}`, m.name);
    if (replicaOf) void this.#o.nodes.connectReplicaNow(m, replicaOf).catch(() => undefined);
  }

  /**
   * The old primary back as the new one's replica, once the authority announces the new one:
   * a client asking the sentinels meanwhile is still sent to the old address, and would find a
   * replica loading the whole dataset there (ioredis waits for the load in its ready check).
   * Bounded by the failover timeout. Its files are kept when the new primary can resync them
   * partially (the writes since its last RDB still in its backlog): no fork on the new primary,
   * a transfer of those writes only. Otherwise they are superseded (the promoted node had
   * synced) and a fresh start loads the whole stream faster than the old files then the stream.
   */
  async rejoin(node: NodeSpec<number>, to: NodeSpec<number>): Promise<void> {
    const deadline = Date.now() + this.#o.topology.sentinel.failoverTimeoutMs;
    while (!this.#o.view.announced(to) && Date.now() < deadline) {
      await sleep(20);
      if (!this.#o.running() || this.#o.primary() !== to.name) return;
    }
    const info = await this.#o.nodes.replication(to).catch(() => ({}));
    const saved = this.#o.backend.savedReplication?.(node.name);
    const partial = resyncsPartially(saved, info);
    const why = partial
      ? `rejoining as a replica (the seed's manual "fallback"); its RDB (offset ${saved?.offset}) resyncs partially from ${to.name}'s backlog`
      : `rejoining as a replica (the seed's manual "fallback")`;
    await this.start(node, to, why, !partial);
  }
}
