/** One look at a running cluster: every node's replies, analysed per shard (for `status`). */
import { credentials } from '../state/credentials.js';
import type { Secrets } from '../state/secrets.js';
import { redisErrorText, withClient } from '../redis/client.js';
import { clusterNodes, type BoundTopology } from '../topology/model.js';
import { analyzeCluster, type ClusterView, type NodeSnapshot } from './analyze.js';
import { knownAddress, snapshotFromReplies, readReplies } from './snapshot.js';

/** Each node over its own short connection (as the monitor user), in parallel, bounded. */
export async function lookAtCluster(
  t: BoundTopology,
  secrets: Secrets,
  timeoutMs = 1000,
): Promise<NodeSnapshot[]> {
  const auth = credentials(t, secrets, 'monitor');
  return Promise.all(
    clusterNodes(t).map(async (n): Promise<NodeSnapshot> => {
      const m = { name: n.name, ...knownAddress(n) };
      const at = Date.now();
      try {
        const r = await withClient(n, { ...auth, timeoutMs }, readReplies);
        return snapshotFromReplies(m, r, at);
      } catch (e) {
        return { ...m, at, reachable: false, error: redisErrorText(e) };
      }
    }),
  );
}

/** The cluster as `status` shows it: replicas may trail a primary that takes writes. */
export async function clusterStatus(t: BoundTopology, secrets: Secrets): Promise<ClusterView> {
  return analyzeCluster(t.cluster?.shards ?? [], await lookAtCluster(t, secrets), {
    strictOffsets: false,
  });
}
