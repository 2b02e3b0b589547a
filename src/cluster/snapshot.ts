/** Looking at cluster nodes: the raw replies, and the snapshot the analysis reads from them. */
import type { Redis } from 'ioredis';
import { redisErrorText } from '../redis/client.js';
import type { ClusterNodeSpec } from '../topology/model.js';
import type { NodeSnapshot } from './analyze.js';
import { snapshotFromReplies, type RawReplies } from './replies.js';

// The pure part lives in replies.ts (the check_redis bundle imports it without ioredis).
export { replicationState, snapshotFromReplies, type RawReplies } from './replies.js';

/** The address peers and clients know a node by: announced, else its own. */
export function knownAddress(n: ClusterNodeSpec<number>): { host: string; port: number } {
  return { host: n.announce.ip ?? n.host, port: n.announce.port ?? n.port };
}

export async function readReplies(c: Redis): Promise<RawReplies> {
  const [myId, clusterInfo, clusterNodes, clusterShards, infoReplication] = await Promise.all([
    c.call('CLUSTER', 'MYID'),
    c.call('CLUSTER', 'INFO'),
    c.call('CLUSTER', 'NODES'),
    c.call('CLUSTER', 'SHARDS'),
    c.info('replication'),
  ]);
  return {
    myId: String(myId),
    clusterInfo: String(clusterInfo),
    clusterNodes: String(clusterNodes),
    clusterShards,
    infoReplication,
  };
}

/** One node looked at; an unready client or a failing command makes it unreachable. */
export async function snapshotNode(c: Redis, n: ClusterNodeSpec<number>): Promise<NodeSnapshot> {
  const at = Date.now();
  const m = { name: n.name, ...knownAddress(n) };
  if (c.status !== 'ready')
    return { ...m, at, reachable: false, error: `not connected (${c.status})` };
  try {
    return snapshotFromReplies(m, await readReplies(c), at);
  } catch (e) {
    return { ...m, at, reachable: false, error: redisErrorText(e) };
  }
}
