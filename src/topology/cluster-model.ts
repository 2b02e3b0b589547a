import path from 'node:path';
import { CLUSTER_BUS_OFFSET, DEFAULTS } from './defaults.js';
import type { ClusterNodeSpec, Port, Topology } from './model.js';
import type { ParsedClusterTopology, ParsedMember } from './cluster-schema.js';
import {
  disklessDelayMs,
  parseListen,
  placeAt,
  resolveHosts,
  sharedSections,
} from './resolve-common.js';

/** A cluster member with every default applied, before validation of the whole. */
export interface ExpandedMember {
  name: string;
  /** Key path for errors: the member's own, or `cluster.shards` for a generated one. */
  path: string;
  shard: string;
  role: 'primary' | 'replica';
  /** As written: a `hosts` key or an address. */
  host: string;
  bind?: string[] | undefined;
  port: Port;
  /** Explicit; port + 10000 for an explicit port; else 'auto' (chosen with the port). */
  busPort: Port;
  announce: { ip?: string | undefined; port?: number | undefined; busPort?: number | undefined };
}

export interface ExpandedShard {
  name: string;
  path: string;
  /** The primary first. */
  members: ExpandedMember[];
}

function member(
  m: ParsedMember,
  shard: string,
  role: 'primary' | 'replica',
  index: number,
  keyPath: string,
): ExpandedMember {
  return {
    name: m.name ?? `${shard}-${index}`,
    path: keyPath,
    shard,
    role,
    host: m.host,
    bind: m.bind,
    port: m.port,
    busPort: m.busPort ?? (m.port === 'auto' ? 'auto' : m.port + CLUSTER_BUS_OFFSET),
    announce: { ...m.announce },
  };
}

/**
 * `shards: N` becomes N written-out shards: `shardI-1` the primary, `shardI-2`... its replicas;
 * primaries round-robin over `cluster.hosts`, each replica on a following host (anti-affinity as
 * `redis-cli --cluster create` does it). A written-out list gets its default names.
 */
export function expandCluster(t: ParsedClusterTopology): ExpandedShard[] {
  const c = t.cluster;
  if (typeof c.shards === 'number') {
    const hosts = c.hosts ?? DEFAULTS.cluster.hosts;
    const replicas = c.replicasPerShard ?? DEFAULTS.cluster.replicasPerShard;
    return Array.from({ length: c.shards }, (_, i) => {
      const shard = `shard${i + 1}`;
      const members = Array.from({ length: replicas + 1 }, (_, j) =>
        member(
          { host: hosts[(i + j) % hosts.length] ?? DEFAULTS.host, port: 'auto' },
          shard,
          j === 0 ? 'primary' : 'replica',
          j + 1,
          'cluster.shards',
        ),
      );
      return { name: shard, path: 'cluster.shards', members };
    });
  }
  return c.shards.map((s, i) => {
    const shard = s.name ?? `shard${i + 1}`;
    const at = `cluster.shards.${i}`;
    return {
      name: shard,
      path: at,
      members: [
        member(s.primary, shard, 'primary', 1, `${at}.primary`),
        ...s.replicas.map((r, j) => member(r, shard, 'replica', j + 2, `${at}.replicas.${j}`)),
      ],
    };
  });
}

/** The settings a cluster does not use, inert (no sentinels, no endpoint, no dashboard yet). */
const INERT = {
  masterName: DEFAULTS.masterName,
  sentinels: [],
  quorum: 0,
  sentinel: { downAfterMs: 0, failoverTimeoutMs: 0, parallelSyncs: 0, debugPeriods: {} },
  endpoint: {
    mode: 'none',
    listen: { host: DEFAULTS.host, port: 0 },
    waitTimeoutMs: 0,
    multiplex: false,
    interface: DEFAULTS.endpoint.interface,
    fenceTimeoutMs: 0,
  },
  dashboard: { enabled: false, listen: { host: DEFAULTS.host, port: 0 }, actions: false },
} as const;

export function toClusterModel(
  t: ParsedClusterTopology,
  shards: readonly ExpandedShard[],
  source: string,
  baseDir: string,
  warnings: string[],
): Topology {
  const declared = t.hosts ?? {};
  const nodes: ClusterNodeSpec[] = shards.flatMap((s) =>
    s.members.map((m) => ({
      kind: 'node',
      name: m.name,
      role: m.role,
      ...placeAt(declared, m.host),
      bind: m.bind ?? [placeAt(declared, m.host).host],
      port: m.port,
      priority: DEFAULTS.replicaPriority,
      shard: s.name,
      busPort: m.busPort,
      announce: m.announce,
    })),
  );
  const shared = sharedSections(t, baseDir);
  const perPrimary = Math.max(0, ...shards.map((s) => s.members.length - 1));
  return {
    kind: 'cluster',
    source,
    hosts: resolveHosts(declared, nodes),
    stateDir: path.resolve(baseDir, t.stateDir),
    nodes,
    ...INERT,
    persistence: shared.persistence,
    memory: shared.memory,
    replication: {
      minReplicasToWrite: 0,
      minReplicasMaxLagMs: 0,
      singleCopyWrites: false,
      backlogBytes: t.replication.backlogSize,
      disklessSyncDelayMs: disklessDelayMs(t.replication.disklessSyncDelay, perPrimary),
      syncTimeoutMs: t.replication.syncTimeout,
    },
    supervisor: shared.supervisor,
    exporter: {
      enabled: t.exporter.enabled,
      listen: parseListen(t.exporter.listen),
      timeoutMs: t.exporter.timeout,
    },
    auth: shared.auth,
    tls: shared.tls,
    cluster: {
      shards: shards.map((s) => ({
        name: s.name,
        primary: s.members[0]?.name ?? '',
        replicas: s.members.slice(1).map((m) => m.name),
      })),
      nodeTimeoutMs: t.cluster.nodeTimeout,
    },
    warnings,
  };
}
