import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import {
  auth,
  duration,
  exporter,
  host,
  hostSchema,
  memory,
  name,
  persistence,
  port,
  size,
  supervisor,
  tls,
} from './schema.js';

const PORT_MSG = 'expected a port number 1-65535';
const portNumber = z.number().int(PORT_MSG).min(1, PORT_MSG).max(65535, PORT_MSG);

const announce = z
  .object({ ip: host.optional(), port: portNumber.optional(), busPort: portNumber.optional() })
  .strict();

/** One cluster node, written out. */
const memberSchema = z
  .object({
    name: name.optional(),
    host: host.default(DEFAULTS.host),
    bind: z.array(host).min(1).optional(),
    port,
    busPort: z
      .union([z.literal('auto'), portNumber], {
        errorMap: () => ({ message: 'expected a port number 1-65535 or "auto"' }),
      })
      .optional(),
    announce: announce.optional(),
  })
  .strict();

const shardSchema = z
  .object({
    name: name.optional(),
    primary: memberSchema,
    replicas: z.array(memberSchema).default([]),
  })
  .strict();

export const clusterSectionSchema = z
  .object({
    shards: z
      .union([z.number().int().min(1).max(1000), z.array(shardSchema).min(1)])
      .describe('expected a number of shards or a list of shards ({name, primary, replicas})'),
    replicasPerShard: z.number().int().min(0).max(10).optional(),
    hosts: z.array(host).min(1).optional(),
    nodeTimeout: duration.default(DEFAULTS.cluster.nodeTimeout),
  })
  .strict();

/** A Redis Cluster topology: the `cluster` section instead of nodes, sentinels and quorum. */
export const clusterTopologySchema = z
  .object({
    hosts: z.record(name, hostSchema).optional(),
    stateDir: z.string().min(1).default(DEFAULTS.stateDir),
    cluster: clusterSectionSchema,
    persistence,
    memory,
    replication: z
      .object({
        disklessSyncDelay: z
          .union([z.literal('auto'), duration])
          .default(DEFAULTS.replication.disklessSyncDelay),
        syncTimeout: duration.default(DEFAULTS.replication.syncTimeout),
        backlogSize: size.default(DEFAULTS.replication.backlogSize),
      })
      .strict()
      .default({}),
    supervisor,
    exporter,
    auth,
    tls,
  })
  .strict();

export type ClusterTopologyInput = z.input<typeof clusterTopologySchema>;
export type ParsedClusterTopology = z.output<typeof clusterTopologySchema>;
export type ParsedMember = z.output<typeof memberSchema>;

const SENTINEL_ONLY =
  'applies to a Sentinel topology only: a cluster topology has no sentinels (Redis Cluster detects failures and elects primaries itself)';
const NOT_YET = 'is not supported for a cluster topology yet';

/** Why a Sentinel topology's key is refused in a cluster topology (instead of "unknown key"). */
export const CLUSTER_FOREIGN_KEYS: Readonly<Record<string, string>> = {
  nodes: 'applies to a Sentinel topology only: cluster members are declared under cluster.shards',
  sentinels: SENTINEL_ONLY,
  quorum: SENTINEL_ONLY,
  masterName: SENTINEL_ONLY,
  sentinel: SENTINEL_ONLY,
  endpoint: NOT_YET,
  dashboard: NOT_YET,
  'replication.minReplicasToWrite':
    'is not used in a cluster topology: a shard whose replicas are gone keeps taking writes (and `status` reports it)',
  'replication.minReplicasMaxLag': 'is not used in a cluster topology (see minReplicasToWrite)',
};
