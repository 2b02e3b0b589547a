/**
 * The sentinel watcher's state and its pure analysis. Inputs (polls, pub/sub events, sentinel
 * reachability, ROLE answers) are folded by `reduce`; `analyze` answers one question: which node
 * does a majority of all sentinels name, and does that node confirm it with ROLE?
 */

export interface Addr {
  host: string;
  port: number;
}

export interface SentinelView {
  reachable: boolean;
  master?: Addr | undefined;
  tilt: boolean;
  failoverInProgress: boolean;
  /** The replica this sentinel, as failover leader, has sent REPLICAOF NO ONE to. */
  promoting?: Addr | undefined;
  /** ms timestamp of the last poll or event from this sentinel. */
  seenAt: number;
}

export interface WatchState {
  /** Every configured sentinel by name. */
  views: Record<string, SentinelView>;
  /** Last ROLE answer per node address ("host:port"). */
  roles: Record<string, 'master' | 'slave' | 'unknown'>;
}

export type WatchInput =
  /** `at` of a poll: when it was sent (not answered), so it can be ordered against events. */
  | {
      type: 'poll';
      sentinel: string;
      at: number;
      master?: Addr | undefined;
      tilt: boolean;
      failoverInProgress: boolean;
    }
  | { type: 'unreachable'; sentinel: string; at: number }
  | { type: 'event'; sentinel: string; at: number; channel: string; payload: string }
  | { type: 'role'; node: Addr; role: 'master' | 'slave' | 'unknown' };

export interface Verdict {
  /** The node a majority of all sentinels name (absent without a majority). */
  named?: Addr | undefined;
  votes: number;
  needed: number;
  /** True when the named node answered ROLE master: only then route to it. */
  confirmed: boolean;
  reason: string;
}

export const key = (a: Addr): string => `${a.host}:${a.port}`;

export function initialState(sentinels: readonly string[]): WatchState {
  const views: Record<string, SentinelView> = {};
  for (const s of sentinels)
    views[s] = { reachable: false, tilt: false, failoverInProgress: false, seenAt: 0 };
  return { views, roles: {} };
}

/** Folds one input into a new state (the old one is not modified). */
export function reduce(state: WatchState, input: WatchInput): WatchState {
  if (input.type === 'role')
    return { ...state, roles: { ...state.roles, [key(input.node)]: input.role } };
  const prev = state.views[input.sentinel];
  if (!prev) return state; // not one of ours
  let next: SentinelView;
  switch (input.type) {
    case 'poll':
      // A poll sent before the last event we folded for this sentinel answers with an older view.
      if (input.at < prev.seenAt) return state;
      next = {
        reachable: true,
        master: input.master,
        tilt: input.tilt,
        failoverInProgress: input.failoverInProgress,
        promoting: input.failoverInProgress ? prev.promoting : undefined,
        seenAt: input.at,
      };
      break;
    case 'unreachable':
      next = { ...prev, reachable: false, seenAt: input.at };
      break;
    case 'event':
      next = applyEvent(prev, input.channel, input.payload, input.at);
      break;
  }
  return { ...state, views: { ...state.views, [input.sentinel]: next } };
}

function applyEvent(v: SentinelView, channel: string, payload: string, at: number): SentinelView {
  const w = payload.split(' ');
  switch (channel) {
    case '+switch-master':
      // <name> <old-ip> <old-port> <new-ip> <new-port>
      return {
        ...v,
        reachable: true,
        master: { host: w[3] ?? '', port: Number(w[4]) },
        failoverInProgress: false,
        promoting: undefined,
        seenAt: at,
      };
    case '+failover-state-wait-promotion':
      // slave <name> <ip> <port> @ <master> <ip> <port>
      return {
        ...v,
        failoverInProgress: true,
        promoting: { host: w[2] ?? '', port: Number(w[3]) },
        seenAt: at,
      };
    case '+tilt':
      return { ...v, tilt: true, seenAt: at };
    case '-tilt':
      return { ...v, tilt: false, seenAt: at };
    case '+try-failover':
    case '+failover-state-select-slave':
      return { ...v, failoverInProgress: true, seenAt: at };
    case '+failover-end':
    case '-failover-abort-no-good-slave':
    case '-failover-abort-not-elected':
    case '+failover-end-for-timeout':
      return { ...v, failoverInProgress: false, promoting: undefined, seenAt: at };
    default:
      return { ...v, seenAt: at };
  }
}

/**
 * A sentinel counts when reachable and not in TILT (a TILTed sentinel neither acts nor can be
 * trusted to be current). The majority is of all configured sentinels, not of those reachable:
 * a minority can never decide where clients go.
 */
export function analyze(state: WatchState): Verdict {
  const all = Object.values(state.views);
  const needed = Math.floor(all.length / 2) + 1;
  const votes = new Map<string, { addr: Addr; n: number }>();
  for (const v of all) {
    if (!v.reachable || v.tilt || !v.master) continue;
    const k = key(v.master);
    votes.set(k, { addr: v.master, n: (votes.get(k)?.n ?? 0) + 1 });
  }
  const best = [...votes.values()].sort((a, b) => b.n - a.n)[0];
  const early = promotedEarly(state, best?.addr);
  if (early)
    return {
      named: early.addr,
      votes: best?.n ?? 0,
      needed,
      confirmed: true,
      reason: early.reason,
    };
  if (!best || best.n < needed) {
    const counted = all.filter((v) => v.reachable && !v.tilt).length;
    return {
      votes: best?.n ?? 0,
      needed,
      confirmed: false,
      reason: `no majority: ${best?.n ?? 0}/${all.length} agree, ${counted} usable, ${needed} needed`,
    };
  }
  const role = state.roles[key(best.addr)];
  const confirmed = role === 'master';
  return {
    named: best.addr,
    votes: best.n,
    needed,
    confirmed,
    reason: confirmed
      ? `${key(best.addr)} named by ${best.n}/${all.length} sentinels and confirmed by ROLE`
      : `${key(best.addr)} named by ${best.n}/${all.length} sentinels but ROLE says ${role ?? 'nothing yet'}`,
  };
}

/**
 * Sentinel confirms a promotion only with its next INFO poll (~0.9 s of every failover). The
 * replica a failover leader has sent REPLICAOF NO ONE to may be used at once when it answers ROLE
 * master and the primary the majority still names no longer acts as one (unreachable, or already
 * rejoined as a replica). Still one node at a time: the old one is not serving writes.
 */
function promotedEarly(
  state: WatchState,
  named: Addr | undefined,
): { addr: Addr; reason: string } | undefined {
  // The old primary must not be serving: unreachable, or already back as a replica.
  if (named && state.roles[key(named)] === 'master') return undefined;
  for (const [name, v] of Object.entries(state.views)) {
    if (!v.reachable || v.tilt || !v.promoting || !v.failoverInProgress) continue;
    if (state.roles[key(v.promoting)] === 'master') {
      return {
        addr: v.promoting,
        reason: `${key(v.promoting)} promoted by failover leader ${name} and confirmed by ROLE; ${named ? key(named) : 'the old primary'} is not a master`,
      };
    }
  }
  return undefined;
}
