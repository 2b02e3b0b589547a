/**
 * What the dashboard shows, as plain data built by pure functions from one look at the topology
 * (ScrapeData) and the timeline; the browser only renders it (as text: never as HTML).
 */
import { nodeNamer, scrapedMajority, type ScrapeData } from '../metrics/ha-metrics.js';
import { num, parseReplicaAcks } from '../redis/info.js';
import type { FailoverEntry } from '../view/failover-history.js';
import type { BoundTopology } from '../topology/model.js';

export interface NodeView {
  name: string;
  address: string;
  up: boolean;
  error?: string | undefined;
  role?: 'master' | 'slave' | undefined;
  /** Named by the sentinel majority and role master. */
  primary: boolean;
  follows?: string | undefined;
  linkUp?: boolean | undefined;
  lagBytes?: number | undefined;
  lagSeconds?: number | undefined;
  usedMemory?: number | undefined;
  maxMemory?: number | undefined;
  opsPerSec?: number | undefined;
  clients?: number | undefined;
}

export interface SentinelView {
  name: string;
  address: string;
  up: boolean;
  error?: string | undefined;
  names?: string | undefined;
  tilt?: boolean | undefined;
  ckquorum?: boolean | undefined;
  flags: string[];
}

export interface EndpointView {
  endpoint: 'primary' | 'read';
  address: string;
  up: boolean;
  reaches?: string | undefined;
  probeMs?: number | undefined;
}

export interface Snapshot {
  at: number;
  masterName: string;
  primary?: string | undefined;
  votes: number;
  agree: boolean;
  quorum: { configured: number; sentinels: number; reachable: number };
  healthy: boolean;
  nodes: NodeView[];
  sentinels: SentinelView[];
  endpoints: EndpointView[];
  failovers: { count: number; inProgress: boolean; last?: FailoverEntry | undefined };
  /** Seconds the primary has taken writes no replica confirms (single copy); absent: none. */
  singleCopySeconds?: number | undefined;
  /** Only with `backup.every` set: the newest backup in the backup dir (its manifest). */
  backup?: BackupView | undefined;
}

export interface BackupView {
  everySeconds: number;
  lastAt?: number | undefined;
  ageSeconds?: number | undefined;
  /** The newest is older than two periods. */
  late: boolean;
}

function backupView(t: BoundTopology, d: ScrapeData): BackupView | undefined {
  if (!t.backup || !d.backup) return undefined;
  const lastAt = d.backup.lastSuccess;
  const ageSeconds = lastAt === undefined ? undefined : Math.max(0, (d.at - lastAt) / 1000);
  const everySeconds = t.backup.everyMs / 1000;
  const late = ageSeconds !== undefined && ageSeconds > 2 * everySeconds;
  return { everySeconds, lastAt, ageSeconds, late };
}

export function buildSnapshot(t: BoundTopology, d: ScrapeData): Snapshot {
  const nameOf = nodeNamer(t);
  const { name: majority, votes } = scrapedMajority(t, d);
  const infoOf = (n: string | undefined): Record<string, string> | undefined =>
    d.nodes.find((x) => x.name === n)?.info;
  const pInfo = infoOf(majority);
  const primary = pInfo?.role === 'master' ? majority : undefined;
  const acks = pInfo ? parseReplicaAcks(pInfo) : [];
  const pOffset = pInfo ? num(pInfo, 'master_repl_offset') : undefined;
  const nodes = t.nodes.map((spec): NodeView => {
    const n = d.nodes.find((x) => x.name === spec.name);
    const base = {
      name: spec.name,
      address: `${spec.host}:${spec.port}`,
      primary: spec.name === primary,
    };
    const info = n?.info;
    if (!info) return { ...base, up: false, error: n?.error };
    const role = info.role === 'slave' ? 'slave' : 'master';
    const replica = role === 'slave';
    const ack = acks.find((a) => nameOf(a.ip, a.port) === spec.name);
    return {
      ...base,
      up: true,
      role,
      follows: replica ? nameOf(info.master_host ?? '', Number(info.master_port)) : undefined,
      linkUp: replica ? info.master_link_status === 'up' : undefined,
      lagBytes:
        replica && pOffset !== undefined
          ? Math.max(0, pOffset - num(info, 'slave_repl_offset'))
          : undefined,
      lagSeconds: replica ? ack?.lag : undefined,
      usedMemory: num(info, 'used_memory'),
      maxMemory: num(info, 'maxmemory'),
      opsPerSec: num(info, 'instantaneous_ops_per_sec'),
      clients: num(info, 'connected_clients'),
    };
  });
  const sentinels = t.sentinels.map((spec): SentinelView => {
    const s = d.sentinels.find((x) => x.name === spec.name);
    const address = `${spec.host}:${spec.port}`;
    const r = s?.replies;
    if (!r) return { name: spec.name, address, up: false, error: s?.error, flags: [] };
    const m = r.master;
    return {
      name: spec.name,
      address,
      up: true,
      names: m.ip === undefined ? undefined : nameOf(m.ip, Number(m.port)),
      tilt: r.info.sentinel_tilt === '1',
      ckquorum: r.ckquorumOk,
      flags: (m.flags ?? '').split(',').filter((f) => f && f !== 'master'),
    };
  });
  const endpoints = d.endpoints.map((e): EndpointView => {
    const spec = e.endpoint === 'read' ? t.endpoint.readListen : t.endpoint.listen;
    return {
      endpoint: e.endpoint,
      address: spec ? `${spec.host}:${spec.port}` : '?',
      up: e.runId !== undefined,
      reaches: d.nodes.find((n) => e.runId !== undefined && n.info?.run_id === e.runId)?.name,
      probeMs: e.seconds === undefined ? undefined : e.seconds * 1000,
    };
  });
  const reachable = sentinels.filter((s) => s.up).length;
  const agree = majority !== undefined && votes === reachable;
  const singleCopySeconds =
    d.singleCopySince === undefined ? undefined : Math.max(0, (d.at - d.singleCopySince) / 1000);
  const healthy =
    singleCopySeconds === undefined &&
    primary !== undefined &&
    agree &&
    reachable === t.sentinels.length &&
    sentinels.every((s) => !s.tilt && s.ckquorum) &&
    nodes.every((n) => n.up && (n.primary || (n.follows === primary && n.linkUp)));
  return {
    at: d.at,
    masterName: t.masterName,
    primary,
    votes,
    agree,
    quorum: { configured: t.quorum, sentinels: t.sentinels.length, reachable },
    healthy,
    nodes,
    sentinels,
    endpoints,
    failovers: d.failovers,
    singleCopySeconds,
    backup: backupView(t, d),
  };
}
