import type { NodeSpec } from '../topology/model.js';
import type { Observation } from '../view/observation.js';
import type { ClusterView } from '../view/view.js';

/** A look at the nodes: what the write quorum is decided from. */
export type NodeLook = Pick<Observation, 'at' | 'nodes'>;

/** The events the controller follows, as any view publishes them. */
// A type, not an interface: it then fits TypedEmitter's Record<string, unknown>.
export type ViewLikeEvents = {
  primary: { to: NodeSpec<number> | undefined; verdict: { reason: string }; wasSynced: boolean };
  synced: { node: NodeSpec<number>; synced: boolean };
  look: { obs: NodeLook };
  /** Anything changed (a poll, an event): a moment to check isolation. */
  state: unknown;
  /** A failover leader has chosen this node (REPLICAOF NO ONE sent or due at its next tick). */
  promoting: { node: NodeSpec<number> };
};

/**
 * What the controller reads of a view: no authority's internals (Sentinel's views and votes
 * stay in view/), so another authority's view (one shard of a Redis Cluster) serves the same
 * policy. The ClusterView, a cluster shard's view, or a fake in tests.
 */
export interface ViewLike extends Pick<
  ClusterView,
  'primary' | 'synced' | 'roleOf' | 'staleMasters' | 'cutOff' | 'announced'
> {
  on<K extends keyof ViewLikeEvents>(name: K, fn: (p: ViewLikeEvents[K]) => void): () => void;
}
