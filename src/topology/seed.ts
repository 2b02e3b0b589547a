import type { TopologyInput } from './schema.js';

/** The seed's layout: redis01 primary, redis02 replica, a sentinel beside each plus one on the
 * supervision host, quorum 2, `save 60 1`, maxmemory 512mb, and its one address for applications
 * (the seed's floating IP): here the endpoint on loopback. Used when no file is given. */
export const SEED_TOPOLOGY: TopologyInput = {
  masterName: 'mymaster',
  nodes: {
    redis01: { role: 'primary' },
    redis02: { role: 'replica' },
  },
  sentinels: {
    'sentinel-redis01': {},
    'sentinel-redis02': {},
    'sentinel-supervision': {},
  },
  quorum: 2,
  persistence: { mode: 'rdb', save: ['60 1'] },
  memory: { maxmemory: '512mb', policy: 'allkeys-lru' },
  endpoint: { mode: 'proxy' },
};

export const SEED_SOURCE = '<built-in seed topology>';

/** The seed's three hosts as separate machines with a floating address (`redis-ha lab up`). */
export const LAB_TOPOLOGY: TopologyInput = {
  masterName: 'mymaster',
  stateDir: '.redis-ha-lab',
  hosts: {
    redis01: { address: '10.208.0.11' },
    redis02: { address: '10.208.0.12' },
    supervision: { address: '10.208.0.13' },
  },
  nodes: {
    redis01: { role: 'primary', host: 'redis01', port: 6379 },
    redis02: { role: 'replica', host: 'redis02', port: 6379 },
  },
  sentinels: {
    'sentinel-redis01': { host: 'redis01', port: 26379 },
    'sentinel-redis02': { host: 'redis02', port: 26379 },
    'sentinel-supervision': { host: 'supervision', port: 26379 },
  },
  quorum: 2,
  persistence: { mode: 'rdb', save: ['60 1'] },
  memory: { maxmemory: '512mb', policy: 'allkeys-lru' },
  sentinel: { downAfter: '2s' },
  endpoint: { mode: 'vip', address: '10.208.0.100', interface: 'eth0', fenceTimeout: '1s' },
  exporter: { listen: '127.0.0.1:9121' },
  dashboard: { enabled: false },
};

export const LAB_SOURCE = '<built-in lab topology>';

/** The input of a built-in topology by its source name. */
export function builtInInput(source: string): TopologyInput | undefined {
  return source === SEED_SOURCE ? SEED_TOPOLOGY : source === LAB_SOURCE ? LAB_TOPOLOGY : undefined;
}
