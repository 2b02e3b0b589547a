import path from 'node:path';
import type { BoundTopology, ClusterNodeSpec } from '../topology/model.js';
import { quote } from './common.js';
import type { TlsFiles } from '../state/tls.js';

/** What the cluster lines of one node's redis.conf need from its context. */
export interface ClusterConfContext {
  dir: string;
  tls?: TlsFiles | undefined;
}

/** The monitor user also reads the cluster's own view (checks, status, exporter). */
export function clusterMonitorRules(t: Pick<BoundTopology, 'kind'>): string {
  return t.kind === 'cluster'
    ? ' +cluster|info +cluster|nodes +cluster|shards +cluster|slots +cluster|myid'
    : '';
}

function announceLines(n: ClusterNodeSpec<number>, tls: boolean): string[] {
  const a = n.announce;
  if (a.ip === undefined && a.port === undefined && a.busPort === undefined) return [];
  return [
    '# Behind NAT: what peers, clients and our primary are told instead of our own address/ports.',
    ...(a.ip === undefined ? [] : [`cluster-announce-ip ${a.ip}`, `replica-announce-ip ${a.ip}`]),
    ...(a.port === undefined
      ? []
      : [
          `${tls ? 'cluster-announce-tls-port' : 'cluster-announce-port'} ${a.port}`,
          `replica-announce-port ${a.port}`,
        ]),
    ...(a.busPort === undefined ? [] : [`cluster-announce-bus-port ${a.busPort}`]),
  ];
}

/**
 * Redis Cluster: replicas are attached by `CLUSTER REPLICATE` (redis-ha forms the cluster), so
 * no replicaof; the cluster decides failovers, so no replica-priority gate.
 */
export function clusterLines(
  t: BoundTopology,
  n: ClusterNodeSpec<number>,
  ctx: ClusterConfContext,
): string[] {
  const delay = t.replication.disklessSyncDelayMs;
  return [
    '# --- Replication (a replica follows its shard primary: CLUSTER REPLICATE, no replicaof) ---',
    'replica-read-only yes',
    'replica-serve-stale-data yes',
    'repl-diskless-sync yes',
    `# ${delay === 0 ? 'One replica per shard: nothing to batch, sync at once' : 'Several replicas per shard: wait briefly so one transfer serves them all'} (Redis's default is 5s).`,
    `repl-diskless-sync-delay ${Math.round(delay / 1000)}`,
    '# A node back within this much of the writes resyncs partially, not the whole dataset.',
    `repl-backlog-size ${t.replication.backlogBytes}`,
    '# No min-replicas-to-write: a shard whose replicas are gone keeps taking writes (reported).',
    '',
    `# --- Cluster: shard ${n.shard} ---`,
    'cluster-enabled yes',
    "# The node's identity, epochs and votes: never copied between nodes or hosts.",
    `cluster-config-file ${quote(path.join(ctx.dir, 'nodes.conf'))}`,
    `cluster-node-timeout ${t.cluster?.nodeTimeoutMs ?? 15000}`,
    `cluster-port ${n.busPort}`,
    ...announceLines(n, ctx.tls !== undefined),
    ...(ctx.tls ? ['# The cluster bus over TLS too.', 'tls-cluster yes'] : []),
    '# One dead primary must not stop the other shards: with "yes" every node reports the cluster',
    '# failed from the FAIL mark to the promotion (~1 s without writes on every shard; 9-17 ms',
    '# with "no"). A minority partition still stops: that rule counts primaries, not slots.',
    'cluster-require-full-coverage no',
    '# Replicas stay in the shard the topology gives them (on another host than its primary); a',
    '# primary emptied by resharding stays an empty primary instead of becoming a replica.',
    'cluster-allow-replica-migration no',
    '',
  ];
}
