import { createHash } from 'node:crypto';
import { aclRules } from '../state/credentials.js';
import { ACL_USERS, type Secrets } from '../state/secrets.js';
import { isClusterNode, type BoundTopology, type NodeSpec } from '../topology/model.js';
import { quote, header } from './common.js';
import { clusterLines, clusterMonitorRules } from './cluster-conf.js';
import type { TlsFiles } from '../state/tls.js';

export interface RedisConfContext {
  /** The node this one replicates from; undefined for the primary. */
  replicaOf?: { host: string; port: number } | undefined;
  secrets: Secrets;
  dir: string;
  pidFile: string;
  logFile: string;
  /** Priority to render; the supervisor raises it to node.priority once the replica has synced. */
  startPriority: number;
  /** This host's certificate when the topology has TLS. */
  tls?: TlsFiles | undefined;
}

/** TLS only: the plain port off; replication, like every client, over TLS. */
export function tlsLines(port: number, f: TlsFiles | undefined): string[] {
  if (!f) return [`port ${port}`];
  return [
    '# TLS only: the plain port is off.',
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${quote(f.certFile)}`,
    `tls-key-file ${quote(f.keyFile)}`,
    `tls-ca-cert-file ${quote(f.caFile)}`,
    '# Clients authenticate with ACL users/passwords; a certificate, when presented, must be ours.',
    'tls-auth-clients optional',
    'tls-replication yes',
    'tls-protocols "TLSv1.2 TLSv1.3"',
    'tls-prefer-server-ciphers yes',
  ];
}

const sha = (pw: string): string => createHash('sha256').update(pw).digest('hex');

/** A user's password hashes: during `secrets rotate` the new one and the one it replaces. */
export function passwordHashes(current: string, previous: string | undefined): string {
  return [current, ...(previous && previous !== current ? [previous] : [])]
    .map((pw) => `#${sha(pw)}`)
    .join(' ');
}

/** password: one generated password; acl: the default user off and one user per role. */
function securityLines(t: BoundTopology, s: Secrets): string[] {
  const prev = s.previous;
  if (t.auth.mode === 'password')
    return [
      "# --- Security: one generated password (the seed's requirepass, as a SHA-256 hash) ---",
      `user default on ${passwordHashes(s.redisPassword, prev?.redisPassword)} ~* &* +@all`,
      `masterauth ${quote(s.redisPassword)}`,
    ];
  return [
    '# --- Security: ACL users, least privilege (passwords as SHA-256; the secrets file has them) ---',
    'user default off',
    ...ACL_USERS.map(
      (u) =>
        `user ${u} on ${passwordHashes(s.users[u], prev?.users[u])} ${aclRules(u, u === 'app' ? t.auth.appCommands : [])}${u === 'monitor' ? clusterMonitorRules(t) : ''}`,
    ),
    '# Replicas authenticate to their primary as the replication user.',
    'masteruser replication',
    `masterauth ${quote(s.users.replication)}`,
  ];
}

export function renderRedisConf(
  t: BoundTopology,
  node: NodeSpec<number>,
  ctx: RedisConfContext,
): string {
  const p = t.persistence;
  const rdb = p.mode === 'rdb' || p.mode === 'rdb+aof';
  const aof = p.mode === 'aof' || p.mode === 'rdb+aof';
  const lines: string[] = [
    ...header(`redis.conf for node "${node.name}"`, t.source),
    '',
    '# --- Network ---',
    `bind ${node.bind.join(' ')}`,
    ...tlsLines(node.port, ctx.tls),
    'protected-mode yes',
    'tcp-backlog 511',
    '',
    '# --- Process: run in the foreground under the redis-ha supervisor ---',
    'daemonize no',
    'supervised no',
    `dir ${quote(ctx.dir)}`,
    `pidfile ${quote(ctx.pidFile)}`,
    `logfile ${quote(ctx.logFile)}`,
    'loglevel notice',
    '',
    '# --- Persistence ---',
    rdb ? p.save.map((s) => `save ${s}`).join('\n') : 'save ""',
    'dbfilename dump.rdb',
    'stop-writes-on-bgsave-error yes',
    `appendonly ${aof ? 'yes' : 'no'}`,
    `appendfsync ${p.appendfsync}`,
    '',
    '# --- Memory ---',
    `maxmemory ${t.memory.maxmemoryBytes}`,
    `maxmemory-policy ${t.memory.policy}`,
    '',
    ...securityLines(t, ctx.secrets),
    '',
    ...(isClusterNode(node) ? clusterLines(t, node, ctx) : replicationLines(t, node, ctx)),
  ];
  return lines.join('\n');
}

/** Sentinel topology: the replica follows the current primary; min-replicas guards writes. */
function replicationLines(
  t: BoundTopology,
  node: NodeSpec<number>,
  ctx: RedisConfContext,
): string[] {
  const r = t.replication;
  return [
    '# --- Replication ---',
    ctx.replicaOf
      ? `replicaof ${ctx.replicaOf.host} ${ctx.replicaOf.port}`
      : '# primary: no replicaof',
    'replica-read-only yes',
    'replica-serve-stale-data yes',
    '# A replica is not a promotion candidate until its first sync is done: the supervisor raises',
    `# this to ${node.priority} once master_link_status is up (an empty replica must never be promoted).`,
    `replica-priority ${ctx.startPriority}`,
    'repl-diskless-sync yes',
    `# ${r.disklessSyncDelayMs === 0 ? 'One replica: nothing to batch, sync at once' : 'Several replicas: wait briefly so one transfer serves them all'} (Redis's default is 5s).`,
    `repl-diskless-sync-delay ${Math.round(r.disklessSyncDelayMs / 1000)}`,
    '# A node back within this much of the writes resyncs partially, not the whole dataset.',
    `repl-backlog-size ${r.backlogBytes}`,
    '# An empty replica (a superseded old primary rejoining) loads the stream straight from the',
    '# socket instead of writing it to disk first; one with data keeps it until the sync ends.',
    'repl-diskless-load on-empty-db',
    '# Refuse writes unless enough replicas are connected and recent: an isolated primary stops',
    '# accepting writes that a failover elsewhere would discard (applies once this node is primary).',
    `min-replicas-to-write ${r.minReplicasToWrite}`,
    `min-replicas-max-lag ${Math.max(1, Math.round(r.minReplicasMaxLagMs / 1000))}`,
    '',
  ];
}
