import type { TopologyInput } from './schema.js';

/** The seed's layout: redis01 primary, redis02 replica, a sentinel beside each plus one on the
 * supervision host, quorum 2, `save 60 1`, maxmemory 512mb. Used when no file is given. */
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
};

export const SEED_SOURCE = '<built-in seed topology>';
