import { setTimeout as sleep } from 'node:timers/promises';
import type { HaEventKind, Level } from '../events/events.js';
import { findNode, type BoundTopology, type NodeSpec } from '../topology/model.js';
import type { Observation } from '../view/observation.js';
import { writeQuorum } from './decisions.js';
import type { NodeOps } from './node-ops.js';

type Event = (
  kind: HaEventKind,
  message: string,
  member: string,
  level: Level,
  data?: Record<string, unknown>,
) => void;

/**
 * The write quorum (min-replicas-to-write) of the nodes a controller runs, when it differs from
 * the topology's: set, retried until it applies (a frozen or just-promoted node may not answer),
 * and reported. Quorum 0 is the single-copy window: the primary acknowledges writes that exist
 * on it alone, from the moment it is relaxed until a replica confirms writes again.
 */
export class WriteQuorums {
  #t: BoundTopology;
  readonly #ops: NodeOps;
  readonly #event: Event;
  /** What each node has now, when not the topology's. */
  #applied = new Map<string, number>();
  #wanted = new Map<string, { n: number; why: string; quiet?: boolean }>();
  /** Lowered ahead of a promotion, not reported yet: the window starts when it is primary. */
  #prepared = new Set<string>();
  #since = new Map<string, number>();
  #busy = new Set<string>();
  #stopped = false;

  constructor(t: BoundTopology, ops: NodeOps, event: Event) {
    this.#t = t;
    this.#ops = ops;
    this.#event = event;
  }

  get configured(): number {
    return this.#t.replication.minReplicasToWrite;
  }

  /** Nodes below the topology's quorum now (or about to be). */
  lowered(): string[] {
    const names = new Set([...this.#applied.keys(), ...this.#wanted.keys()]);
    return [...names].filter((name) => this.#target(name) < this.configured);
  }

  #target(name: string): number {
    return this.#wanted.get(name)?.n ?? this.#applied.get(name) ?? this.configured;
  }

  /** Sets `node`'s quorum to `n` (the latest wish wins; retried while the node does not answer). */
  set(node: NodeSpec<number>, n: number, why: string): void {
    if (this.#stopped) return;
    if (this.#target(node.name) === n) {
      if (this.#prepared.delete(node.name)) this.#report(node.name, n, why);
      return;
    }
    this.#prepared.delete(node.name);
    this.#wanted.set(node.name, { n, why });
    if (!this.#busy.has(node.name)) void this.#apply(node);
  }

  /**
   * The replica a failover leader has chosen, lowered before its REPLICAOF NO ONE (a replica
   * ignores min-replicas-to-write): it takes writes the moment it is promoted instead of after a
   * CONFIG SET sent then. Reported by the `set` that follows the promotion; put back by
   * `adjust` like any lowered node if another stays primary.
   */
  prepare(node: NodeSpec<number>, n: number): void {
    if (this.#stopped || this.#target(node.name) === n) return;
    this.#prepared.add(node.name);
    this.#wanted.set(node.name, { n, why: 'chosen by the failover leader', quiet: true });
    if (!this.#busy.has(node.name)) void this.#apply(node);
  }

  stop(): void {
    this.#stopped = true;
  }

  retopology(t: BoundTopology): void {
    this.#t = t;
  }

  /** Every lowered node back to the topology's quorum. */
  restoreAll(why: string): void {
    for (const name of this.lowered()) {
      const node = findNode(this.#t, name);
      if (node) this.set(node, this.configured, why);
    }
  }

  /**
   * After a look: the confirmed primary's quorum follows the replicas able to confirm writes
   * (when it runs here); any other lowered node goes back to the topology's; all of them when
   * this process cannot reach a sentinel majority (it may be on the minority side).
   */
  adjust(
    primary: NodeSpec<number> | undefined,
    obs: Pick<Observation, 'nodes'>,
    synced: (name: string) => boolean,
    runs: (name: string) => boolean,
    cutOff: boolean,
  ): void {
    if (cutOff) return this.restoreAll('cut off from the sentinels');
    if (!primary) return; // a moment without confirmation changes nothing
    for (const name of this.lowered()) {
      const node = findNode(this.#t, name);
      if (node && name !== primary.name)
        this.set(node, this.configured, `${primary.name} is the primary`);
    }
    const o = obs.nodes.find((n) => n.name === primary.name);
    if (!runs(primary.name) || !o?.reachable) return;
    const n = writeQuorum(this.#t, o, synced);
    this.set(
      primary,
      n,
      n < this.configured ? 'no replica can confirm writes' : 'a replica is synced',
    );
  }

  async #apply(node: NodeSpec<number>): Promise<void> {
    this.#busy.add(node.name);
    const deadline = Date.now() + this.#t.sentinel.failoverTimeoutMs * 3;
    try {
      for (;;) {
        const w = this.#wanted.get(node.name);
        if (w === undefined || this.#stopped || Date.now() > deadline) return;
        try {
          await this.#ops.setWriteQuorum(node, w.n);
        } catch {
          await sleep(50);
          continue;
        }
        if (this.#wanted.get(node.name) === w) this.#wanted.delete(node.name);
        this.#applied.set(node.name, w.n);
        if (!w.quiet) this.#report(node.name, w.n, w.why);
        if (w.n === this.configured) this.#applied.delete(node.name);
      }
    } finally {
      this.#busy.delete(node.name);
    }
  }

  #report(name: string, n: number, why: string): void {
    const since = this.#since.get(name);
    if (n === 0 && since === undefined) {
      this.#since.set(name, Date.now());
      this.#event(
        'single-copy',
        `takes writes with no replica to confirm them (${why}): min-replicas-to-write 0 until one is synced; acknowledged writes are on ${name} alone meanwhile`,
        name,
        'warn',
        { singleCopy: true },
      );
      return;
    }
    if (n > 0 && since !== undefined) {
      this.#since.delete(name);
      const ms = Date.now() - since;
      this.#event(
        'single-copy',
        `${n} replica(s) confirm its writes again: min-replicas-to-write ${n} (${why}; single copy for ${(ms / 1000).toFixed(2)}s)`,
        name,
        'info',
        { singleCopy: false, durationMs: ms },
      );
      return;
    }
    this.#event('decision', `min-replicas-to-write ${n} (${why})`, name, 'info');
  }
}
