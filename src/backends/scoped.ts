import type { Member, NodeSpec } from '../topology/model.js';
import type { Backend, BackendEvents } from './backend.js';
import type { SavedReplication } from './rdb-header.js';

/**
 * The part of a backend that runs some members (one shard of a Redis Cluster): a controller for
 * that shard sees only their exits and returns, and is told it does not run the others.
 */
export class ScopedBackend implements Backend {
  readonly kind: Backend['kind'];
  readonly members: readonly Member<number>[];
  readonly #base: Backend;
  readonly #names: ReadonlySet<string>;

  constructor(base: Backend, names: Iterable<string>) {
    this.#base = base;
    this.#names = new Set(names);
    this.kind = base.kind;
    this.members = base.members.filter((m) => this.#names.has(m.name));
  }

  alive(name: string): boolean | undefined {
    return this.#names.has(name) ? this.#base.alive(name) : undefined;
  }

  start(m: Member<number>, replicaOf?: NodeSpec<number>, o?: { fresh?: boolean }): Promise<void> {
    return this.#base.start(m, replicaOf, o);
  }

  stopDiskSnapshot(name: string): number | undefined {
    return this.#names.has(name) ? this.#base.stopDiskSnapshot?.(name) : undefined;
  }

  savedReplication(name: string): SavedReplication | undefined {
    return this.#names.has(name) ? this.#base.savedReplication?.(name) : undefined;
  }

  on<K extends keyof BackendEvents & string>(
    name: K,
    fn: (payload: BackendEvents[K]) => void,
  ): () => void {
    return this.#base.on(name, (p) => {
      const member = (p as { member?: Member<number> }).member;
      if (!member || this.#names.has(member.name)) fn(p);
    });
  }
}
