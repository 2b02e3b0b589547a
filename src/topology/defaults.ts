/**
 * Every default of the topology file lives here, with the reason for it. The schema reads the
 * values; `npm run docs` renders docs/topology.md from DEFAULT_DOCS (a unit test keeps it in sync).
 */
export const DEFAULTS = {
  masterName: 'mymaster',
  stateDir: '.redis-ha',
  host: '127.0.0.1',
  port: 'auto',
  replicaPriority: 100,
  quorum: 2,
  persistence: { mode: 'rdb', save: ['60 1'], appendfsync: 'everysec' },
  memory: { maxmemory: '512mb', policy: 'allkeys-lru' },
  sentinel: {
    downAfter: '2s',
    failoverTimeout: '10s',
    parallelSyncs: 1,
    pingPeriod: 'default',
    askPeriod: 'default',
    infoPeriod: '1s',
  },
  replication: {
    minReplicasToWrite: 1,
    minReplicasMaxLag: '3s',
    singleCopyWrites: true,
    backlogSize: '64mb',
    disklessSyncDelay: 'auto',
    syncTimeout: '60s',
  },
  supervisor: {
    restartBackoffMin: '200ms',
    restartBackoffMax: '10s',
    failoverWait: '30s',
    stopTimeout: '10s',
  },
  endpoint: {
    mode: 'none',
    listen: '127.0.0.1:auto',
    waitTimeout: '5s',
    multiplex: true,
    interface: 'eth0',
    fenceTimeout: '1s',
  },
  exporter: { enabled: true, listen: '127.0.0.1:auto', timeout: '1s' },
  dashboard: { enabled: true, listen: '127.0.0.1:auto', actions: false },
  backup: { keep: 24 },
  auth: { mode: 'acl', appCommands: [] as string[] },
  tls: { enabled: false },
  cluster: { replicasPerShard: 1, nodeTimeout: '2s', hosts: ['127.0.0.1'] as string[] },
} as const;

/** Seed ports, tried first by `port: auto`; a taken one falls back to a free port. */
export const PREFERRED_NODE_PORT = 6379;
export const PREFERRED_SENTINEL_PORT = 26379;
export const PREFERRED_ENDPOINT_PORT = 6390;
/** redis_exporter's port, so an existing scrape config finds it. */
export const PREFERRED_EXPORTER_PORT = 9121;
export const PREFERRED_DASHBOARD_PORT = 9122;
/** Cluster nodes: the Redis cluster tutorial's 7000, 7001, ...; their bus ports 17000, ... stay
 * below Linux's ephemeral range (32768-60999), where an outgoing connection can take a bus port. */
export const PREFERRED_CLUSTER_PORT = 7000;
/** Redis's default bus port offset (cluster-port 0 means port + 10000). */
export const CLUSTER_BUS_OFFSET = 10000;

export interface DefaultDoc {
  key: string;
  default: string;
  doc: string;
}

export const DEFAULT_DOCS: readonly DefaultDoc[] = [
  {
    key: 'hosts',
    default: '(one host per address)',
    doc: 'Named machines, `NAME: {address, ssh}`: members say `host: NAME`. `render --hosts` writes one bundle per host, `deploy` installs them over SSH (`ssh`: `user@host[:port]`, default `root@ADDRESS`), `lab` builds them as network namespaces.',
  },
  {
    key: 'masterName',
    default: DEFAULTS.masterName,
    doc: "Name Sentinel monitors the primary under (the seed's).",
  },
  {
    key: 'stateDir',
    default: DEFAULTS.stateDir,
    doc: 'Data, configs, logs, secrets; relative to the topology file (or the working directory for the built-in topology).',
  },
  {
    key: 'nodes.<name>.role',
    default: '(required)',
    doc: '`primary` for exactly one node, `replica` for the others. After a failover the live primary is tracked in the state dir.',
  },
  {
    key: 'nodes.<name>.host',
    default: DEFAULTS.host,
    doc: 'Address peers and clients use to reach the node.',
  },
  { key: 'nodes.<name>.bind', default: '[host]', doc: 'Addresses redis-server listens on.' },
  {
    key: 'nodes.<name>.port',
    default: DEFAULTS.port,
    doc: '`auto` takes the seed port (6379, 6380, ...) when free, else any free port, and keeps it in the state dir.',
  },
  {
    key: 'nodes.<name>.priority',
    default: String(DEFAULTS.replicaPriority),
    doc: 'Sentinel replica-priority (lower wins, 0 = never promoted). Applied only once the replica has synced.',
  },
  {
    key: 'sentinels.<name>.host / bind / port',
    default: `${DEFAULTS.host} / [host] / auto`,
    doc: 'As for nodes; `auto` starts at 26379.',
  },
  {
    key: 'quorum',
    default: String(DEFAULTS.quorum),
    doc: 'Sentinels that must agree the primary is down. A failover also needs a majority of all sentinels.',
  },
  {
    key: 'persistence.mode',
    default: DEFAULTS.persistence.mode,
    doc: '`rdb`, `aof`, `rdb+aof` or `none`. With `none`, a dead primary is never restarted as a primary (it would be empty).',
  },
  {
    key: 'persistence.save',
    default: `[${DEFAULTS.persistence.save.join(', ')}]`,
    doc: 'RDB save points ("seconds changes"), the seed\'s `save 60 1`.',
  },
  {
    key: 'persistence.appendfsync',
    default: DEFAULTS.persistence.appendfsync,
    doc: 'AOF fsync policy: `always`, `everysec`, `no`.',
  },
  {
    key: 'memory.maxmemory',
    default: DEFAULTS.memory.maxmemory,
    doc: "Memory limit per node (the seed's 512mb); `0` = no limit.",
  },
  {
    key: 'memory.policy',
    default: DEFAULTS.memory.policy,
    doc: 'Eviction policy when maxmemory is reached (a cache, as in the seed).',
  },
  {
    key: 'sentinel.downAfter',
    default: DEFAULTS.sentinel.downAfter,
    doc: 'down-after-milliseconds. 2s: fast failover on a local cluster, yet twice the 1s below which loaded machines see false failovers (redis#8607).',
  },
  {
    key: 'sentinel.failoverTimeout',
    default: DEFAULTS.sentinel.failoverTimeout,
    doc: 'failover-timeout. Short for a local cluster so a failed attempt is retried after 2x this instead of 6 minutes.',
  },
  {
    key: 'sentinel.parallelSyncs',
    default: String(DEFAULTS.sentinel.parallelSyncs),
    doc: 'Replicas resynced at once after a failover.',
  },
  {
    key: 'sentinel.pingPeriod / askPeriod / infoPeriod',
    default: `${DEFAULTS.sentinel.pingPeriod} / ${DEFAULTS.sentinel.askPeriod} / ${DEFAULTS.sentinel.infoPeriod}`,
    doc: "Sentinel's internal periods, set with `SENTINEL DEBUG` (7.0+) on every sentinel the supervisor starts; `default` keeps Sentinel's own (1s / 1s / 10s). infoPeriod 1s keeps Sentinel's view of replica priorities fresh (a restarted, unsynced replica is seen as non-promotable within 1s, not 10s). ping and ask stay at Sentinel's 1s: at 100ms all sentinels reached ODOWN together, split the leader vote and waited 2 x failoverTimeout (measured: a 22s stall in a freeze drill).",
  },
  {
    key: 'replication.minReplicasToWrite',
    default: String(DEFAULTS.replication.minReplicasToWrite),
    doc: 'The primary refuses writes unless this many replicas are connected with lag <= minReplicasMaxLag: an isolated primary stops taking writes that a failover would lose. 0 turns it off (writes continue while every replica is down).',
  },
  {
    key: 'replication.minReplicasMaxLag',
    default: DEFAULTS.replication.minReplicasMaxLag,
    doc: 'Replica lag (seconds of silence) tolerated by minReplicasToWrite; shorter than downAfter + failover so an isolated primary stops before another is promoted.',
  },
  {
    key: 'replication.singleCopyWrites',
    default: String(DEFAULTS.replication.singleCopyWrites),
    doc: "While a sentinel majority confirms the primary and its replicas cannot confirm writes (dead, restarting, resyncing, frozen, cut off), the primary keeps taking writes: its min-replicas-to-write is lowered to the replicas there are, and restored the moment one is synced. Writes are then on one node only: the single-copy window, reported (event, `redis_ha_single_copy_seconds`, status, dashboard, drills). An old primary cut off with a minority is never relaxed (its host's agent restores it when it loses the sentinels). false: refuse writes until a replica is back and synced (a blackout as long as the failure plus a full resync).",
  },
  {
    key: 'replication.backlogSize',
    default: DEFAULTS.replication.backlogSize,
    doc: "repl-backlog-size. A replica back within this much of the primary's writes resyncs partially (the missing bytes) instead of fully (the whole dataset): a frozen or cut-off old primary demoted after a failover, a replica whose link dropped. Redis's default, 1mb, is a second or two of a busy primary. Memory: one buffer of this size per primary.",
  },
  {
    key: 'replication.disklessSyncDelay',
    default: DEFAULTS.replication.disklessSyncDelay,
    doc: "`auto` = 0s with one replica (nothing to batch; Redis's 5s default would delay every sync), 1s with more so a restart syncs them in one transfer.",
  },
  {
    key: 'replication.syncTimeout',
    default: DEFAULTS.replication.syncTimeout,
    doc: "How long `up` waits for a replica's initial sync.",
  },
  {
    key: 'supervisor.restartBackoffMin / Max',
    default: `${DEFAULTS.supervisor.restartBackoffMin} / ${DEFAULTS.supervisor.restartBackoffMax}`,
    doc: 'Exponential restart backoff for replicas and sentinels.',
  },
  {
    key: 'redis.server / sentinel',
    default: '(found on PATH)',
    doc: 'Paths of the redis-server and redis-sentinel binaries the members run. An upgrade: point them at the new binaries, then `redis-ha restart --rolling` (replicas first, versions checked).',
  },
  {
    key: 'supervisor.failoverWait',
    default: DEFAULTS.supervisor.failoverWait,
    doc: "After the primary dies, how long the supervisor waits for Sentinel's failover before it reports it (it keeps waiting; it never restarts a primary that a replica may have replaced).",
  },
  {
    key: 'supervisor.stopTimeout',
    default: DEFAULTS.supervisor.stopTimeout,
    doc: 'Grace period for a child to exit on SIGTERM before SIGKILL.',
  },
  {
    key: 'endpoint.mode',
    default: DEFAULTS.endpoint.mode,
    doc: "`proxy`: a TCP endpoint that always reaches the confirmed primary (started by `up`, or alone with `redis-ha proxy`); the built-in seed has it, so applications have one address. `vip`: a floating address held by the primary's host (the agent of every data host, see `redis-ha render --hosts` and `redis-ha lab`). `none`: applications follow the primary themselves (a Sentinel-aware client).",
  },
  {
    key: 'endpoint.address',
    default: '(none)',
    doc: 'With `vip`: the floating address, `ADDR` or `ADDR/PREFIX` (default /32). Nodes also bind it (with `net.ipv4.ip_nonlocal_bind=1`), so clients reach whichever host holds it.',
  },
  {
    key: 'endpoint.interface',
    default: DEFAULTS.endpoint.interface,
    doc: 'With `vip`: the interface the address is added to (and announced on with gratuitous ARP).',
  },
  {
    key: 'endpoint.fenceTimeout',
    default: DEFAULTS.endpoint.fenceTimeout,
    doc: 'With `vip`: the holder drops the address when fewer than a majority of sentinels have answered it for this long (fencing: an isolated old primary lets go before the majority promotes another); the agent decides 250 ms early so the address is gone within it. From `500ms` to below `sentinel.downAfter`.',
  },
  {
    key: 'endpoint.listen',
    default: DEFAULTS.endpoint.listen,
    doc: 'Where the proxy listens; `auto` takes 6390 when free, else a free port, kept in the state dir.',
  },
  {
    key: 'endpoint.waitTimeout',
    default: DEFAULTS.endpoint.waitTimeout,
    doc: 'A client connecting while no primary is confirmed (a failover) waits this long, then is refused with a log line.',
  },
  {
    key: 'endpoint.readListen',
    default: '(none)',
    doc: 'A second listener for reads: an in-sync replica (ROLE slave, link up, following the confirmed primary), else the primary. `auto` takes 6391 when free.',
  },
  {
    key: 'endpoint.multiplex',
    default: String(DEFAULTS.endpoint.multiplex),
    doc: "Clients' stateless commands (GET, SET, INCR, ...) share one connection to the primary; the first command that needs its own (MULTI, SUBSCRIBE, BLPOP, HELLO, SELECT, CLIENT, ...) moves that client to a dedicated one, transparently. `false`: one upstream connection per client, piped.",
  },
  {
    key: 'exporter.enabled',
    default: String(DEFAULTS.exporter.enabled),
    doc: '`up` serves Prometheus metrics (every node, sentinel, the endpoint, the failover history; for a cluster every node and shard) at `http://LISTEN/metrics`; `redis-ha exporter` runs it alone.',
  },
  {
    key: 'exporter.listen',
    default: DEFAULTS.exporter.listen,
    doc: "Where `/metrics` is served: loopback by default; `auto` takes 9121 (redis_exporter's port) when free, else a free port, kept in the state dir.",
  },
  {
    key: 'exporter.timeout',
    default: DEFAULTS.exporter.timeout,
    doc: 'Bound on each target per scrape: a hung or unreachable server is `redis_up 0` for that scrape, never a hung scrape (Prometheus times out at 10 s by default).',
  },
  {
    key: 'dashboard.enabled',
    default: String(DEFAULTS.dashboard.enabled),
    doc: '`up` serves the live dashboard (URL printed at start); `redis-ha dashboard` runs it alone.',
  },
  {
    key: 'dashboard.listen',
    default: DEFAULTS.dashboard.listen,
    doc: 'Loopback by default. Wherever it listens every request needs the dashboard token (`redis-ha secrets`); on loopback the one-time link `up` prints (`/login?once=...`, also `redis-ha dashboard --url`) logs in without it. `auto` takes 9122 when free.',
  },
  {
    key: 'dashboard.actions',
    default: String(DEFAULTS.dashboard.actions),
    doc: 'Show switchover/failover buttons: each asks for confirmation and the token, wherever the dashboard listens. Read-only by default.',
  },
  {
    key: 'backup.every',
    default: '(off)',
    doc: '`up` takes a backup (`redis-ha backup`, from an in-sync replica) this often, the first one `every` after the start; host bundles get a systemd timer that does the same on the host of an in-sync replica. At least `1s`.',
  },
  {
    key: 'backup.keep',
    default: String(DEFAULTS.backup.keep),
    doc: 'Scheduled backups kept: older ones (directories with a redis-ha manifest only) are deleted after each new one.',
  },
  {
    key: 'backup.dir',
    default: 'STATE/backups',
    doc: "Where scheduled backups go, one directory per backup, named by its time; relative to the topology file. Its newest manifest gives `/metrics`, the dashboard and `check_redis_backup` the last backup's age.",
  },
  {
    key: 'auth.mode',
    default: DEFAULTS.auth.mode,
    doc: "`password`: one generated password for every client (the seed's `requirepass`). `acl`: the `default` user off and one user per role: `app` (all keys, no @admin/@dangerous but INFO and its own connection's CLIENT SETNAME/GETNAME/ID/INFO, HELLO, ACL WHOAMI: what common clients send), `replication` (replicas), `sentinel` (the minimal ACL from the Redis docs), `monitor` (read-only introspection: checks, exporter, dashboard), `admin` (redis-ha itself); passwords in the secrets file.",
  },
  {
    key: 'auth.appCommands',
    default: '[]',
    doc: 'With `acl`: extra ACL rules for the `app` user, e.g. `["+keys", "+flushdb"]`.',
  },
  {
    key: 'tls',
    default: String(DEFAULTS.tls.enabled),
    doc: '`true`: every node and sentinel listens on TLS only (its `port` becomes its `tls-port`; the plain port is off), replication and sentinel links use TLS, and so does everything redis-ha connects with; the endpoint passes TLS through to the primary. A local CA and per-host certificates are generated in the state dir (`tls/`). Also `{ca: {cert, key}}` to sign with your own CA.',
  },
  {
    key: 'tls.ca',
    default: '(generated)',
    doc: 'Your CA (`cert` and `key` PEM paths, relative to the topology file) to sign the host certificates with, instead of a generated one.',
  },
  {
    key: 'cluster',
    default: '(none: Sentinel)',
    doc: 'A Redis Cluster instead of a Sentinel group: shards, each one primary and its replicas. `nodes`, `sentinels`, `quorum`, `sentinel`, `endpoint` and `dashboard` do not apply (Redis Cluster elects its own primaries); `hosts`, `persistence`, `memory`, `exporter` (per-shard series), `auth`, `tls` and the secrets are the same. See "Redis Cluster" below.',
  },
  {
    key: 'cluster.shards',
    default: '(required)',
    doc: 'A number of shards (at least 3) whose members are generated (`shard1-1` the first primary, `shard1-2` its replica, ...), or a list of `{name, primary, replicas}` with each member written out.',
  },
  {
    key: 'cluster.replicasPerShard',
    default: String(DEFAULTS.cluster.replicasPerShard),
    doc: 'With `shards: N`: replicas generated per shard. One replica per shard survives one failure per shard.',
  },
  {
    key: 'cluster.hosts',
    default: `[${DEFAULTS.cluster.hosts.join(', ')}]`,
    doc: 'With `shards: N`: where generated members run (`hosts` keys or addresses). Primaries go round-robin over them, each replica on a following host, as `redis-cli --cluster create` spreads them.',
  },
  {
    key: 'cluster.nodeTimeout',
    default: DEFAULTS.cluster.nodeTimeout,
    doc: "cluster-node-timeout. Redis's 15s default means ~20 s of refused writes on a shard after its primary dies (cluster-notes section 8); 2s gives 3.5-4.5 s, and matches sentinel.downAfter (below 1-2 s loaded machines see false failovers).",
  },
  {
    key: 'cluster.shards[].primary / replicas[]',
    default: '(required)',
    doc: '`{name, host, bind, port, busPort, announce}`: one member. `name` defaults to `SHARD-1`, `SHARD-2`, ...',
  },
  {
    key: 'cluster.*.port',
    default: DEFAULTS.port,
    doc: '`auto` takes 7000, 7001, ... when the port and its bus port (port + 10000) are both free, else the next such pair below 22768 (bus ports stay below the ephemeral range), and keeps it in the state dir.',
  },
  {
    key: 'cluster.*.busPort',
    default: 'port + 10000',
    doc: '`cluster-port`: the cluster bus (node-to-node), which peers must reach as well as the data port. A data port above 55535 needs an explicit bus port.',
  },
  {
    key: 'cluster.*.announce',
    default: '(none)',
    doc: 'Behind NAT: `{ip, port, busPort}` the node tells its peers and clients instead of its own (cluster-announce-ip, -port or -tls-port with TLS, -bus-port).',
  },
];
