import { confirmStreaming } from '../redis/streaming.js';
import { findNode, type BoundTopology } from '../topology/model.js';
import type { Observation } from './observation.js';
import type { ClientPool } from './observe.js';

/**
 * Which replicas hold a complete copy: synced since their last start, with a stream the primary
 * confirms. Only those get their configured replica-priority; the rest stay at 0, so Sentinel
 * can never promote an empty or half-synced replica.
 */
export class SyncTracker {
  #synced = new Set<string>();
  #confirming = new Set<string>();
  readonly #t: BoundTopology;
  readonly #pool: ClientPool;
  readonly #onSynced: (name: string, priority: number) => void;

  constructor(
    t: BoundTopology,
    pool: ClientPool,
    onSynced: (name: string, priority: number) => void,
  ) {
    this.#t = t;
    this.#pool = pool;
    this.#onSynced = onSynced;
  }

  has(name: string): boolean {
    return this.#synced.has(name);
  }

  /** Forget a node (restarted, promoted or demoted); true if it was synced. */
  forget(name: string): boolean {
    return this.#synced.delete(name);
  }

  /** Promotable replicas among those `running`. */
  candidates(except: string, running: (name: string) => boolean): string[] {
    return this.#t.nodes
      .filter(
        (n) => n.name !== except && n.priority > 0 && this.#synced.has(n.name) && running(n.name),
      )
      .map((n) => n.name);
  }

  /** Marks a replica synced (confirming its stream unless already confirmed) and raises its priority. */
  async mark(name: string, primaryName: string, confirmed = false): Promise<void> {
    const node = findNode(this.#t, name);
    const primary = findNode(this.#t, primaryName);
    if (!node || !primary || this.#synced.has(name)) return;
    if (!confirmed && !(await confirmStreaming(this.#pool.get(primary), node))) return;
    await this.#pool.get(node).config('SET', 'replica-priority', String(node.priority));
    this.#synced.add(name);
    this.#onSynced(name, node.priority);
  }

  /** Starts a confirmation for each replica newly seen following the primary with its link up. */
  scan(obs: Observation, primaryName: string, running: (name: string) => boolean): void {
    const primary = findNode(this.#t, primaryName);
    if (!primary) return;
    for (const n of obs.nodes) {
      const follows =
        n.role === 'slave' &&
        n.linkUp &&
        !n.syncInProgress &&
        n.masterHost === primary.host &&
        n.masterPort === primary.port;
      if (!follows || this.#synced.has(n.name) || !running(n.name) || this.#confirming.has(n.name))
        continue;
      // WAIT can take up to a second: confirm off the reconcile loop, one at a time per replica.
      this.#confirming.add(n.name);
      void this.mark(n.name, primaryName)
        .catch(() => undefined)
        .finally(() => this.#confirming.delete(n.name));
    }
  }
}
