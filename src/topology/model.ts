/** The resolved, frozen topology that every other module consumes. */

export type Port = number | 'auto';
export type PersistenceMode = 'rdb' | 'aof' | 'rdb+aof' | 'none';
/** Who elects primaries: Sentinel, or Redis Cluster itself. */
export type TopologyKind = 'sentinel' | 'cluster';

export interface NodeSpec<P extends Port = Port> {
  readonly kind: 'node';
  readonly name: string;
  readonly role: 'primary' | 'replica';
  /** The address others reach it at. */
  readonly host: string;
  /** The machine it runs on: a `hosts` key, or the address itself. */
  readonly hostName?: string | undefined;
  readonly bind: readonly string[];
  readonly port: P;
  readonly priority: number;
}

export interface SentinelSpec<P extends Port = Port> {
  readonly kind: 'sentinel';
  readonly name: string;
  readonly host: string;
  readonly hostName?: string | undefined;
  readonly bind: readonly string[];
  readonly port: P;
}

/** A Redis Cluster node: a NodeSpec (its `role` is the one it is created with) plus the bus. */
export interface ClusterNodeSpec<P extends Port = Port> extends NodeSpec<P> {
  readonly shard: string;
  /** cluster-port: port + 10000 unless set. */
  readonly busPort: P;
  /** What it tells peers and clients instead of its own address and ports (NAT). */
  readonly announce: {
    readonly ip?: string | undefined;
    readonly port?: number | undefined;
    readonly busPort?: number | undefined;
  };
}

/** A shard as created: its primary and replicas by node name (roles change on failover). */
export interface ShardSpec {
  readonly name: string;
  readonly primary: string;
  readonly replicas: readonly string[];
}

export interface ClusterSpec {
  readonly shards: readonly ShardSpec[];
  readonly nodeTimeoutMs: number;
}

/** One machine: the members that run on it. */
export interface HostSpec {
  readonly name: string;
  readonly address: string;
  /** `user@host[:port]` for deploy. */
  readonly ssh: string;
}

export interface Topology<P extends Port = Port> {
  /** `cluster`: `nodes` are ClusterNodeSpecs, `cluster` is set, there are no sentinels. */
  readonly kind: TopologyKind;
  /** The file it came from, or "<built-in seed topology>". */
  readonly source: string;
  /** Declared in `hosts`, or one per distinct member address. */
  readonly hosts: readonly HostSpec[];
  readonly masterName: string;
  /** Absolute path. */
  readonly stateDir: string;
  readonly nodes: readonly NodeSpec<P>[];
  readonly sentinels: readonly SentinelSpec<P>[];
  readonly quorum: number;
  readonly persistence: {
    readonly mode: PersistenceMode;
    readonly save: readonly string[];
    readonly appendfsync: 'always' | 'everysec' | 'no';
  };
  readonly memory: { readonly maxmemoryBytes: number; readonly policy: string };
  readonly sentinel: {
    readonly downAfterMs: number;
    readonly failoverTimeoutMs: number;
    readonly parallelSyncs: number;
    /** SENTINEL DEBUG periods in ms; undefined = Sentinel's default. */
    readonly debugPeriods: {
      readonly ping?: number | undefined;
      readonly ask?: number | undefined;
      readonly info?: number | undefined;
    };
  };
  readonly replication: {
    readonly minReplicasToWrite: number;
    readonly minReplicasMaxLagMs: number;
    /** Keep the confirmed primary writable while no replica can confirm writes (reported). */
    readonly singleCopyWrites: boolean;
    /** repl-backlog-size in bytes. */
    readonly backlogBytes: number;
    /** Resolved from 'auto'. */
    readonly disklessSyncDelayMs: number;
    readonly syncTimeoutMs: number;
  };
  readonly supervisor: {
    readonly restartBackoffMinMs: number;
    readonly restartBackoffMaxMs: number;
    readonly failoverWaitMs: number;
    readonly stopTimeoutMs: number;
  };
  /** Absolute paths of the binaries to run; undefined: the ones on PATH (findRedis). */
  readonly redis?:
    { readonly server?: string | undefined; readonly sentinel?: string | undefined } | undefined;
  readonly endpoint: {
    readonly mode: 'none' | 'proxy' | 'vip';
    readonly listen: { readonly host: string; readonly port: P };
    /** How long a new client waits for a primary during a failover. */
    readonly waitTimeoutMs: number;
    readonly multiplex: boolean;
    /** The read endpoint (in-sync replica, else the primary), when configured. */
    readonly readListen?: { readonly host: string; readonly port: P } | undefined;
    /** VIP mode: the floating address and its prefix length. */
    readonly address?: string | undefined;
    readonly prefix?: number | undefined;
    readonly interface: string;
    readonly fenceTimeoutMs: number;
  };
  readonly exporter: {
    readonly enabled: boolean;
    readonly listen: { readonly host: string; readonly port: P };
    readonly timeoutMs: number;
  };
  readonly auth: {
    readonly mode: 'password' | 'acl';
    /** Extra ACL rules for the app user. */
    readonly appCommands: readonly string[];
  };
  readonly tls: {
    readonly enabled: boolean;
    /** A user-provided CA (absolute paths); undefined: redis-ha generates one. */
    readonly ca?: { readonly cert: string; readonly key: string } | undefined;
  };
  readonly dashboard: {
    readonly enabled: boolean;
    readonly listen: { readonly host: string; readonly port: P };
    readonly actions: boolean;
  };
  /** Scheduled backups; undefined unless `backup.every` is set (Sentinel topologies only). */
  readonly backup?:
    | { readonly everyMs: number; readonly keep: number; /** Absolute. */ readonly dir: string }
    | undefined;
  /** Shards and cluster settings of a `cluster` topology. */
  readonly cluster?: ClusterSpec | undefined;
  /** Non-fatal findings (even sentinel count, low quorum, ...). */
  readonly warnings: readonly string[];
}

/** A topology whose ports are all assigned. */
export type BoundTopology = Topology<number>;
export type Member<P extends Port = Port> = NodeSpec<P> | SentinelSpec<P>;

export function designatedPrimary<P extends Port>(t: Topology<P>): NodeSpec<P> {
  const p = t.nodes.find((n) => n.role === 'primary');
  if (!p) throw new Error('topology has no primary (validation should have caught this)');
  return p;
}

/** The host a member runs on (by its host name, else its address). */
export function hostOf(t: Pick<Topology, 'hosts'>, m: Member): HostSpec {
  const h = t.hosts.find((x) => x.name === (m.hostName ?? m.host));
  if (!h) throw new Error(`member ${m.name} has no host (validation should have caught this)`);
  return h;
}

/** The members that run on a host. */
export function membersOn<P extends Port>(t: Topology<P>, host: string): Member<P>[] {
  return [...t.nodes, ...t.sentinels].filter((m) => (m.hostName ?? m.host) === host);
}

export function findNode<P extends Port>(t: Topology<P>, name: string): NodeSpec<P> | undefined {
  return t.nodes.find((n) => n.name === name);
}

export function isClusterNode<P extends Port>(n: NodeSpec<P>): n is ClusterNodeSpec<P> {
  return 'shard' in n && 'busPort' in n;
}

/** The nodes of a cluster topology (empty for a Sentinel one). */
export function clusterNodes<P extends Port>(t: Topology<P>): ClusterNodeSpec<P>[] {
  return t.nodes.filter(isClusterNode);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
