/**
 * A node's recorded replies and the snapshot the analysis reads from them. Pure, and free of any
 * Redis client library: the check_redis bundle imports it.
 */
import { num, parseInfo, parseReplicaAcks } from '../redis/info.js';
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
  r: Omit<RawReplies, 'clusterShards'>,
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
