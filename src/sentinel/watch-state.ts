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
      next = {
        reachable: true,
        master: input.master,
        tilt: input.tilt,
        failoverInProgress: input.failoverInProgress,
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
      return { ...v, failoverInProgress: false, seenAt: at };
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
