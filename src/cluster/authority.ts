import type { NodeOps } from '../controller/node-ops.js';
import { redisNodeOps } from '../controller/node-ops.js';
import type { Authority, FailoverRequest } from '../controller/authority.js';
import { redisErrorText } from '../redis/client.js';
import type { ClusterMonitor } from './monitor.js';

/**
 * Redis Cluster as the failover authority. Asked for a failover away from a primary (its process
 * died, or it hangs), it promotes that shard's best synced replica at once with
 * `CLUSTER FAILOVER FORCE`: no waiting for node-timeout and the FAIL vote; the replica still
 * needs a majority of the slot-owning primaries (TAKEOVER, which skips them, is never used).
 */
export class ClusterAuthority implements Authority {
  readonly name = 'Redis Cluster';
  readonly #m: ClusterMonitor;

  constructor(monitor: ClusterMonitor) {
    this.#m = monitor;
  }

  async failover(from: string): Promise<FailoverRequest> {
    const shard = this.#m.last?.shards.find((s) => s.members.some((m) => m.name === from));
    const watch = shard && this.#m.shard(shard.name);
    const best = shard?.members
      .filter((m) => m.name !== from && m.reachable && m.role === 'replica')
      .filter((m) => watch?.synced(m.name))
      .sort((a, b) => b.offset - a.offset)[0];
    const node = best && this.#m.topology.nodes.find((n) => n.name === best.name);
    if (!node)
      return { started: false, text: `no synced replica of ${from} answers`, inProgress: false };
    try {
      // A fresh connection, reset if unanswered: a FORCE given up must not arrive late.
      await this.#m.links.once(node, (c) => c.call('CLUSTER', 'FAILOVER', 'FORCE'), 1000);
      return { started: true, by: node.name, text: 'OK', inProgress: false };
    } catch (e) {
      return { started: false, by: node.name, text: redisErrorText(e), inProgress: false };
    }
  }
}

/** Node commands in cluster mode: Redis Cluster demotes a returned primary and links replicas. */
export function clusterNodeOps(m: ClusterMonitor): NodeOps {
  const base = redisNodeOps(m.links);
  return {
    ...base,
    setWriteQuorum: () => Promise.resolve(),
    demoteWhenBack: () => Promise.resolve('moot'),
    connectReplicaNow: () => Promise.resolve(true),
  };
}
