/**
 * The I/O of check_redis on a Redis Cluster: this node's cluster replies, then every node it knows
 * asked the same through the LiteClient (in parallel, each bounded), folded by the cluster's pure
 * analysis. Imports nothing that loads a Redis client library (the plugin is bundled).
 */
import { analyzeCluster, type ClusterView, type NodeSnapshot } from '../cluster/analyze.js';
import { parseClusterInfo, parseClusterNodes } from '../cluster/parse.js';
import { snapshotFromReplies } from '../cluster/replies.js';
import type { LiteClient, LiteOptions } from '../redis/lite-client.js';
import type { CheckRedisOptions, CheckResult } from './check-redis.js';
import { CRITICAL } from './nagios.js';
import {
  clusterOkText,
  entryName,
  nodeClusterFindings,
  peersFrom,
  shardsFrom,
  wholeClusterFindings,
} from './cluster-findings.js';

/** An authenticated connection to a peer (check-redis.ts opens them). */
export type Connect = (conn: LiteOptions) => Promise<LiteClient>;

/** CLUSTER MYID, INFO, NODES in one write; `replication`: INFO text already read, if any. */
async function clusterReplies(
  c: LiteClient,
  replication?: string,
): Promise<{ myId: string; clusterInfo: string; clusterNodes: string; infoReplication: string }> {
  const [myId, clusterInfo, clusterNodes, infoReplication] = await Promise.all([
    c.must('CLUSTER', 'MYID'),
    c.must('CLUSTER', 'INFO'),
    c.must('CLUSTER', 'NODES'),
    replication === undefined ? c.must('INFO', 'replication') : replication,
  ]);
  return {
    myId: String(myId),
    clusterInfo: String(clusterInfo),
    clusterNodes: String(clusterNodes),
    infoReplication: String(infoReplication),
  };
}

/** One peer looked at, within `ms` (a hung or dead peer is unreachable, not a hung check). */
async function peerSnapshot(
  connect: Connect,
  conn: LiteOptions,
  name: string,
  ms: number,
): Promise<NodeSnapshot> {
  const at = Date.now();
  const base = { name, host: conn.host, port: conn.port, at };
  let late = false;
  let timer: NodeJS.Timeout | undefined;
  const look = (async () => {
    const c = await connect(conn);
    try {
      if (late) throw new Error('too late');
      return snapshotFromReplies(base, await clusterReplies(c), at);
    } finally {
      c.close();
    }
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([look, timeout]);
  } catch (e) {
    late = true;
    void look.catch(() => undefined);
    return { ...base, reachable: false, error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface ClusterLook {
  view: ClusterView;
  snaps: NodeSnapshot[];
  me: NodeSnapshot;
}

/** This node (over its open connection) and every peer it knows, analysed as `status` does. */
export async function lookAtCluster(
  c: LiteClient,
  o: CheckRedisOptions,
  infoText: string,
  connect: Connect,
): Promise<ClusterLook> {
  const r = await clusterReplies(c, infoText);
  const nodes = parseClusterNodes(r.clusterNodes);
  const self = nodes.find((e) => e.myself);
  const name = self ? entryName(self, o.conn.host) : `${o.conn.host}:${o.conn.port}`;
  const host = self?.ip || o.conn.host;
  const me = snapshotFromReplies({ name, host, port: self?.port ?? o.conn.port }, r, Date.now());
  const peers = await Promise.all(
    peersFrom(nodes).map((e) =>
      peerSnapshot(connect, { ...o.conn, host: e.ip, port: e.port }, entryName(e), o.peerTimeoutMs),
    ),
  );
  const snaps = [me, ...peers];
  // A cluster taking writes: a replica may trail by a little and still be synced.
  const view = analyzeCluster(shardsFrom(nodes, o.conn.host), snaps, { strictOffsets: false });
  return { view, snaps, me };
}

/** The cluster part of check_redis on a node in cluster mode (the whole cluster: --cluster). */
export async function checkClusterNode(
  c: LiteClient,
  o: CheckRedisOptions,
  infoText: string,
  connect: Connect,
): Promise<CheckResult> {
  const { view, snaps, me } = await lookAtCluster(c, o, infoText, connect);
  const info = me.info ?? parseClusterInfo('');
  const r = o.cluster
    ? wholeClusterFindings(view, snaps, info)
    : nodeClusterFindings(view, snaps, me.name, info);
  return { ...r, okText: clusterOkText(view, snaps) };
}

/** A node in cluster mode: its cluster findings added; with --cluster, the cluster's alone. */
export async function withCluster(
  o: CheckRedisOptions,
  c: LiteClient,
  r: CheckResult,
  text: string,
  connect: Connect,
): Promise<CheckResult> {
  if (!/\bcluster_enabled:1\b/.test(text))
    return {
      findings: [
        {
          state: CRITICAL,
          text: '--cluster: this node is not in cluster mode (cluster_enabled:0)',
        },
      ],
      perf: [],
      okText: '',
    };
  const cr = await checkClusterNode(c, o, text, connect);
  if (!o.cluster)
    return {
      findings: [...r.findings, ...cr.findings],
      perf: [...r.perf, ...cr.perf],
      okText: r.okText,
    };
  // The seed's own response time, then the cluster's findings only.
  return {
    findings: [...r.findings.slice(0, 1), ...cr.findings],
    perf: [...r.perf.slice(0, 1), ...cr.perf],
    okText: cr.okText,
  };
}
