import { z } from 'zod';
import { DURATION_PATTERN, SIZE_PATTERN, parseDuration, parseSize } from '../util/units.js';
import { DEFAULTS } from './defaults.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/;

export const name = z
  .string()
  .regex(NAME, 'expected a name of letters, digits, "-" or "_", starting with a letter');

export const duration = z
  .string({ invalid_type_error: 'expected a duration such as "500ms", "2s" or "1m"' })
  .regex(DURATION_PATTERN, 'expected a duration such as "500ms", "2s" or "1m"')
  .transform((s) => parseDuration(s) ?? 0);

export const size = z
  .union([z.string(), z.number().int().nonnegative()], {
    errorMap: () => ({ message: 'expected a size such as "512mb", "8gb" or 0' }),
  })
  .refine((v) => typeof v === 'number' || SIZE_PATTERN.test(v.trim()), {
    message: 'expected a size such as "512mb", "8gb" or 0',
  })
  .transform((v) => (typeof v === 'number' ? v : (parseSize(v) ?? 0)));

const PORT_MSG = 'expected a port number 1-65535 or "auto"';
export const port = z
  .union([z.literal('auto'), z.number().int(PORT_MSG).min(1, PORT_MSG).max(65535, PORT_MSG)], {
    errorMap: () => ({ message: 'expected a port number 1-65535 or "auto"' }),
  })
  .default(DEFAULTS.port);

export const host = z
  .string()
  .min(1, 'expected a host name or IP address')
  .regex(/^[a-zA-Z0-9.:_-]+$/, 'expected a host name or IP address');

const nodeSchema = z
  .object({
    role: z.enum(['primary', 'replica'], {
      errorMap: () => ({ message: 'expected "primary" or "replica"' }),
    }),
    host: host.default(DEFAULTS.host),
    bind: z.array(host).min(1).optional(),
    port,
    priority: z.number().int().min(0).max(1000).default(DEFAULTS.replicaPriority),
  })
  .strict();

const sentinelSchema = z
  .object({
    host: host.default(DEFAULTS.host),
    bind: z.array(host).min(1).optional(),
    port,
  })
  .strict();

/** "host:port" or "host:auto": where an endpoint, the exporter or the dashboard listens. */
const listen = z
  .string()
  .regex(/^[a-zA-Z0-9.:_-]+:(\d{1,5}|auto)$/, 'expected "host:port" or "host:auto"');

const saveLine = z.string().regex(/^\d+ \d+$/, 'expected "seconds changes", for example "60 1"');

export const hostSchema = z
  .object({
    address: host,
    ssh: z
      .string()
      .regex(/^([a-zA-Z0-9._-]+@)?[a-zA-Z0-9.:_-]+$/, 'expected "user@host" or "host"')
      .optional(),
  })
  .strict();

/** Sections shared by the Sentinel and the cluster topology. */
export const persistence = z
  .object({
    mode: z.enum(['rdb', 'aof', 'rdb+aof', 'none']).default(DEFAULTS.persistence.mode),
    save: z.array(saveLine).default([...DEFAULTS.persistence.save]),
    appendfsync: z.enum(['always', 'everysec', 'no']).default(DEFAULTS.persistence.appendfsync),
  })
  .strict()
  .default({});

export const memory = z
  .object({
    maxmemory: size.default(DEFAULTS.memory.maxmemory),
    policy: z
      .enum([
        'noeviction',
        'allkeys-lru',
        'allkeys-lfu',
        'allkeys-random',
        'volatile-lru',
        'volatile-lfu',
        'volatile-random',
        'volatile-ttl',
      ])
      .default(DEFAULTS.memory.policy),
  })
  .strict()
  .default({});

export const supervisor = z
  .object({
    restartBackoffMin: duration.default(DEFAULTS.supervisor.restartBackoffMin),
    restartBackoffMax: duration.default(DEFAULTS.supervisor.restartBackoffMax),
    failoverWait: duration.default(DEFAULTS.supervisor.failoverWait),
    stopTimeout: duration.default(DEFAULTS.supervisor.stopTimeout),
  })
  .strict()
  .default({});

/** Binaries the members run (an upgrade: point at the new ones, then `restart --rolling`). */
export const redisBinaries = z
  .object({ server: z.string().min(1).optional(), sentinel: z.string().min(1).optional() })
  .strict()
  .default({});

export const auth = z
  .object({
    mode: z.enum(['password', 'acl']).default(DEFAULTS.auth.mode),
    appCommands: z
      .array(
        z
          .string()
          .regex(
            /^[+-]@?[a-z][a-z0-9|_-]*$/,
            'expected an ACL rule such as "+keys" or "-@dangerous"',
          ),
      )
      .default([]),
  })
  .strict()
  .default({});

// `tls: true` is short for `tls: { enabled: true }`.
export const tls = z.preprocess(
  (v) => (typeof v === 'boolean' ? { enabled: v } : v),
  z
    .object(
      {
        enabled: z.boolean().default(true),
        ca: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
      },
      { invalid_type_error: 'expected true, false or { enabled, ca: { cert, key } }' },
    )
    .strict()
    .default({ enabled: DEFAULTS.tls.enabled }),
);

/** `/metrics`: the same section in a Sentinel and a cluster topology. */
export const exporter = z
  .object({
    enabled: z.boolean().default(DEFAULTS.exporter.enabled),
    listen: listen.default(DEFAULTS.exporter.listen),
    timeout: duration.default(DEFAULTS.exporter.timeout),
  })
  .strict()
  .default({});

export const topologySchema = z
  .object({
    hosts: z.record(name, hostSchema).optional(),
    masterName: name.default(DEFAULTS.masterName),
    stateDir: z.string().min(1).default(DEFAULTS.stateDir),
    nodes: z
      .record(name, nodeSchema)
      .refine((r) => Object.keys(r).length > 0, 'expected at least one node'),
    sentinels: z
      .record(name, sentinelSchema)
      .refine((r) => Object.keys(r).length > 0, 'expected at least one sentinel'),
    quorum: z.number().int().min(1).default(DEFAULTS.quorum),
    persistence,
    memory,
    sentinel: z
      .object({
        downAfter: duration.default(DEFAULTS.sentinel.downAfter),
        failoverTimeout: duration.default(DEFAULTS.sentinel.failoverTimeout),
        parallelSyncs: z.number().int().min(1).default(DEFAULTS.sentinel.parallelSyncs),
        pingPeriod: z.union([z.literal('default'), duration]).default(DEFAULTS.sentinel.pingPeriod),
        askPeriod: z.union([z.literal('default'), duration]).default(DEFAULTS.sentinel.askPeriod),
        infoPeriod: z.union([z.literal('default'), duration]).default(DEFAULTS.sentinel.infoPeriod),
      })
      .strict()
      .default({}),
    replication: z
      .object({
        minReplicasToWrite: z
          .number()
          .int()
          .min(0)
          .default(DEFAULTS.replication.minReplicasToWrite),
        minReplicasMaxLag: duration.default(DEFAULTS.replication.minReplicasMaxLag),
        singleCopyWrites: z.boolean().default(DEFAULTS.replication.singleCopyWrites),
        backlogSize: size.default(DEFAULTS.replication.backlogSize),
        disklessSyncDelay: z
          .union([z.literal('auto'), duration])
          .default(DEFAULTS.replication.disklessSyncDelay),
        syncTimeout: duration.default(DEFAULTS.replication.syncTimeout),
      })
      .strict()
      .default({}),
    supervisor,
    redis: redisBinaries,
    endpoint: z
      .object({
        mode: z.enum(['none', 'proxy', 'vip']).default(DEFAULTS.endpoint.mode),
        listen: listen.default(DEFAULTS.endpoint.listen),
        waitTimeout: duration.default(DEFAULTS.endpoint.waitTimeout),
        multiplex: z.boolean().default(DEFAULTS.endpoint.multiplex),
        readListen: listen.optional(),
        address: z
          .string()
          .regex(
            /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/,
            'expected an IPv4 address, "ADDR" or "ADDR/PREFIX"',
          )
          .optional(),
        interface: z
          .string()
          .regex(/^[a-zA-Z0-9._-]{1,15}$/, 'expected an interface name such as "eth0"')
          .default(DEFAULTS.endpoint.interface),
        fenceTimeout: duration.default(DEFAULTS.endpoint.fenceTimeout),
      })
      .strict()
      .default({}),
    exporter,
    auth,
    tls,
    backup: z
      .object({
        every: duration.refine((ms) => ms >= 1000, 'expected at least "1s"').optional(),
        keep: z.number().int().min(1).default(DEFAULTS.backup.keep),
        dir: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    dashboard: z
      .object({
        enabled: z.boolean().default(DEFAULTS.dashboard.enabled),
        listen: listen.default(DEFAULTS.dashboard.listen),
        actions: z.boolean().default(DEFAULTS.dashboard.actions),
      })
      .strict()
      .default({}),
  })
  .strict();

export type TopologyInput = z.input<typeof topologySchema>;
export type ParsedTopology = z.output<typeof topologySchema>;
