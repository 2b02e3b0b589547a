import {
  initialState,
  reduce,
  type Addr,
  type WatchInput,
  type WatchState,
} from '../../src/view/watch-state.js';

/** Secrets with recognisable values (a letter per secret), for rendering tests. */
export const FAKE_SECRETS = {
  redisPassword: 'r'.repeat(43),
  sentinelPassword: 's'.repeat(43),
  dashboardToken: 't'.repeat(43),
  users: {
    admin: 'a'.repeat(43),
    app: 'p'.repeat(43),
    replication: 'l'.repeat(43),
    sentinel: 'e'.repeat(43),
    monitor: 'm'.repeat(43),
  },
};

/** A sentinel's answer to the watcher's poll. */
export const poll = (
  sentinel: string,
  master: Addr | undefined,
  extra: Partial<{ at: number; tilt: boolean; failoverInProgress: boolean }> = {},
): WatchInput => ({
  type: 'poll',
  sentinel,
  at: extra.at ?? 1,
  master,
  tilt: extra.tilt ?? false,
  failoverInProgress: extra.failoverInProgress ?? false,
});

/** A node's answer to ROLE. */
export const role = (node: Addr, r: 'master' | 'slave'): WatchInput => ({
  type: 'role',
  node,
  role: r,
});

/** The watcher's state after these inputs, from `state` (default: three sentinels s1-s3). */
export const fold = (
  inputs: WatchInput[],
  state: WatchState = initialState(['s1', 's2', 's3']),
): WatchState => inputs.reduce(reduce, state);
