import type { Credentials } from '../state/credentials.js';
import type { BoundTopology, NodeSpec, SentinelSpec } from '../topology/model.js';
import { header, quote } from './common.js';
import { passwordHashes, tlsLines } from './redis-conf.js';
import type { TlsFiles } from '../state/tls.js';

export interface SentinelConfContext {
  primary: NodeSpec<number>;
  /** How the sentinels authenticate to the nodes. */
  auth: Credentials;
  sentinelPassword: string;
  /** During `secrets rotate`: the sentinel password being replaced, still accepted. */
  previousSentinelPassword?: string | undefined;
  dir: string;
  pidFile: string;
  logFile: string;
  /** Run id of every sentinel by name; pre-declaring peers saves the 2s hello discovery. */
  ids: Readonly<Record<string, string>>;
  /** This host's certificate when the topology has TLS (links to nodes and peers use TLS too). */
  tls?: TlsFiles | undefined;
  /** VIP mode on a data host: the hook that wakes the local agent on every reconfiguration. */
  reconfigScript?: string | undefined;
}

export function renderSentinelConf(
  t: BoundTopology,
  s: SentinelSpec<number>,
  ctx: SentinelConfContext,
): string {
  const m = t.masterName;
  const myId = ctx.ids[s.name];
  if (!myId) throw new Error(`no sentinel id for ${s.name}`);
  const peers = t.sentinels.filter((o) => o.name !== s.name);
  const replicas = t.nodes.filter((n) => n.name !== ctx.primary.name);
  const lines: string[] = [
    ...header(`sentinel.conf for sentinel "${s.name}"`, t.source),
    '# Sentinel rewrites this file at run time (epochs, discovered peers): it must stay writable.',
    '',
    `bind ${s.bind.join(' ')}`,
    ...tlsLines(s.port, ctx.tls),
    'daemonize no',
    `dir ${quote(ctx.dir)}`,
    `pidfile ${quote(ctx.pidFile)}`,
    `logfile ${quote(ctx.logFile)}`,
    '# Unique per sentinel: never copy a file with this line to another sentinel.',
    `sentinel myid ${myId}`,
    '',
    '# --- Security: clients and peer sentinels must authenticate ---',
    '# The default user with the sentinel password (a hash; ACL SETUSER changes it without restart).',
    `user default on ${passwordHashes(ctx.sentinelPassword, ctx.previousSentinelPassword)} ~* &* +@all`,
    `sentinel sentinel-pass ${quote(ctx.sentinelPassword)}`,
    '# Scripts cannot be changed at run time with SENTINEL SET.',
    'sentinel deny-scripts-reconfig yes',
    '',
    '# --- What to watch ---',
    `sentinel monitor ${m} ${ctx.primary.host} ${ctx.primary.port} ${t.quorum}`,
    ...(ctx.auth.username ? [`sentinel auth-user ${m} ${ctx.auth.username}`] : []),
    `sentinel auth-pass ${m} ${quote(ctx.auth.password)}`,
    `sentinel down-after-milliseconds ${m} ${t.sentinel.downAfterMs}`,
    `sentinel failover-timeout ${m} ${t.sentinel.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${m} ${t.sentinel.parallelSyncs}`,
    ...(ctx.reconfigScript ? [`sentinel client-reconfig-script ${m} ${ctx.reconfigScript}`] : []),
    '',
    '# --- Known peers, declared up front so agreement does not wait for discovery ---',
    ...replicas.map((r) => `sentinel known-replica ${m} ${r.host} ${r.port}`),
    ...peers.map((p) => {
      const id = ctx.ids[p.name];
      if (!id) throw new Error(`no sentinel id for ${p.name}`);
      return `sentinel known-sentinel ${m} ${p.host} ${p.port} ${id}`;
    }),
    '',
  ];
  return lines.join('\n');
}
