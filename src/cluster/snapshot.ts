/** Looking at cluster nodes: the raw replies, and the snapshot the analysis reads from them. */
import type { Redis } from 'ioredis';
import { num, parseInfo, parseReplicaAcks } from '../redis/info.js';
import { redisErrorText } from '../redis/client.js';
import type { ClusterNodeSpec } from '../topology/model.js';
import type { NodeSnapshot, ReplicationState } from './analyze.js';
import { parseClusterInfo, parseClusterNodes } from './parse.js';

/** What one node answered, as recorded (fixtures keep exactly this). */
export interface RawReplies {
  myId: string;
  clusterInfo: string;
  clusterNodes: string;
  /** CLUSTER SHARDS as the client decoded it (RESP2 nested arrays). */
  clusterShards: unknown;
  infoReplication: string;
}

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

export function replicationState(text: string): ReplicationState {
  const i = parseInfo(text);
  const replica = i.role === 'slave';
  return {
    role: replica ? 'replica' : 'primary',
    offset: replica ? num(i, 'slave_repl_offset') : num(i, 'master_repl_offset'),
    linkUp: replica ? i.master_link_status === 'up' : undefined,
    syncing: i.master_sync_in_progress === '1',
    acks: replica ? [] : parseReplicaAcks(i),
  };
}

export function snapshotFromReplies(
  m: { name: string; host: string; port: number },
  r: RawReplies,
  at: number,
): NodeSnapshot {
  return {
    name: m.name,
    host: m.host,
    port: m.port,
    at,
    reachable: true,
    myId: r.myId,
    info: parseClusterInfo(r.clusterInfo),
    nodes: parseClusterNodes(r.clusterNodes),
    replication: replicationState(r.infoReplication),
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
