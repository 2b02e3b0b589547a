import type { HaEvent } from '../events/events.js';
import type { Member, NodeSpec } from '../topology/model.js';
import type { SavedReplication } from './rdb-header.js';

export interface BackendEvents extends Record<string, unknown> {
  event: HaEvent;
  /** A member's process ended without being asked to. */
  exit: { member: Member<number>; how: string };
  /** A member's process runs again without this backend starting it (systemd restarted it). */
  back: { member: Member<number> };
}

/**
 * What differs between running the members as local child processes (`up`) and as systemd
 * units on a host (the agent): how a process is started and how its death is known. The HA
 * policy (controller/) is the same over both.
 */
export interface Backend {
  readonly kind: 'local' | 'systemd';
  /** The members whose processes this backend runs. */
  readonly members: readonly Member<number>[];
  /** Whether the member's process runs; undefined for a member it does not run. */
  alive(name: string): boolean | undefined;
  /**
   * (Re)starts a member: a node as a replica of `replicaOf` at replica-priority 0 (raised once
   * it has synced), or as a primary without it. `fresh`: its data files are superseded (set
   * aside, see data-files.ts), so it starts empty and loads the primary's stream directly.
   */
  start(m: Member<number>, replicaOf?: NodeSpec<number>, o?: { fresh?: boolean }): Promise<void>;
  /**
   * Stops the disk snapshot (BGSAVE) a node it runs is writing, so that a replica's full sync,
   * which waits for it, starts now. The stopped child's pid, or undefined if there was none.
   */
  stopDiskSnapshot?(name: string): number | undefined;
  /** The replication history a node it runs would restart from (its RDB file's), if any. */
  savedReplication?(name: string): SavedReplication | undefined;
  on<K extends keyof BackendEvents & string>(
    name: K,
    fn: (payload: BackendEvents[K]) => void,
  ): () => void;
}
