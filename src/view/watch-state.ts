import { majorityNeeded, tally } from '../topology/majority.js';
import type { NodeSpec } from '../topology/model.js';

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
  /** The master's config epoch as this sentinel knows it (+1 on each +switch-master seen). */
  epoch?: number | undefined;
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
      epoch?: number | undefined;
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
  /** A primary a failover leader is replacing: connections to it must close now. */
  doomed?: Addr | undefined;
  reason: string;
}

export const key = (a: Addr): string => `${a.host}:${a.port}`;

/** A sentinel whose word counts: reachable and not in TILT (see majority.ts). */
export const usable = (v: SentinelView): boolean => v.reachable && !v.tilt;

/** A majority of all sentinels' own polls name `node` (not only a failover leader's word). Pure. */
export function announced(state: WatchState, node: Addr): boolean {
  const views = Object.values(state.views);
  const t = tally(
    views.map((v) => ({ usable: usable(v), vote: v.master })),
    key,
  );
  return t.winner !== undefined && key(t.winner) === key(node);
}

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
        epoch: input.epoch ?? prev.epoch,
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
        epoch: (v.epoch ?? 0) + 1,
        seenAt: at,
      };
    // The leader has chosen the replica (it sends REPLICAOF NO ONE at its next tick, 50-100 ms
    // on), then sent it: from the first, the old primary is doomed, so the endpoint's clients
    // reconnect during that tick instead of after it.
    case '+failover-state-send-slaveof-noone':
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
    // +failover-end (and -for-timeout) come right before +switch-master: keep the promoted
    // replica until the switch lands, or the old primary would be named again in between.
    case '-failover-abort-no-good-slave':
    case '-failover-abort-not-elected':
      return { ...v, failoverInProgress: false, promoting: undefined, seenAt: at };
    default:
      return { ...v, seenAt: at };
  }
}

/** Which node the sentinels' majority names (the one rule, majority.ts), and whether ROLE confirms it. */
export function analyze(state: WatchState): Verdict {
  const all = Object.values(state.views);
  const t = tally(
    all.map((v) => ({ usable: usable(v), vote: v.master })),
    key,
  );
  const needed = t.needed;
  const best = t.top ? { addr: t.top, n: t.votes } : undefined;
  const early = promotedEarly(state, best?.addr) ?? newerEpoch(state, best?.addr);
  if (early?.confirmed)
    return {
      named: early.addr,
      votes: best?.n ?? 0,
      needed,
      confirmed: true,
      reason: early.reason,
    };
  // The majority's node has been replaced in a newer configuration whose node has not answered
  // ROLE yet: it is never confirmed again (a frozen old primary resumes saying master).
  if (early && best)
    return {
      named: best.addr,
      votes: best.n,
      needed,
      confirmed: false,
      doomed: best.addr,
      reason: early.reason,
    };
  if (!best || !t.winner) {
    return {
      votes: best?.n ?? 0,
      needed,
      confirmed: false,
      reason: `no majority: ${best?.n ?? 0}/${all.length} agree, ${t.usable} usable, ${needed} needed`,
    };
  }
  // A leader has chosen another node (REPLICAOF NO ONE sent, or due at its next tick): the
  // named primary is about to be demoted, and whatever it acknowledges from now on is lost.
  const doomed = Object.entries(state.views).find(
    ([, v]) =>
      usable(v) && v.failoverInProgress && v.promoting && key(v.promoting) !== key(best.addr),
  );
  if (doomed)
    return {
      named: best.addr,
      votes: best.n,
      needed,
      confirmed: false,
      doomed: best.addr,
      reason: `failover under way: ${doomed[0]} is promoting ${key(doomed[1].promoting!)}`,
    };
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
 * replica a failover leader has sent REPLICAOF NO ONE to is used as soon as it answers ROLE
 * master: the leader has committed to it, and the old primary (even one that resumed from a
 * freeze and still says master) is about to be demoted, so whatever it acknowledges now is lost.
 * The endpoint closes its connections to the old one when it switches: one node at a time.
 */
function promotedEarly(
  state: WatchState,
  named: Addr | undefined,
): { addr: Addr; reason: string; confirmed: true } | undefined {
  for (const [name, v] of Object.entries(state.views)) {
    if (!usable(v) || !v.promoting || !v.failoverInProgress) continue;
    if (named && key(v.promoting) === key(named)) continue;
    if (state.roles[key(v.promoting)] === 'master') {
      const old = named ? state.roles[key(named)] : undefined;
      return {
        addr: v.promoting,
        confirmed: true,
        reason: `${key(v.promoting)} promoted by failover leader ${name} and confirmed by ROLE (${named ? key(named) : 'the old primary'}: ${old ?? 'no answer'})`,
      };
    }
  }
  return undefined;
}

/**
 * Between the first +switch-master and the others' (they learn it from hello messages, within
 * ms), the majority still names the old primary. A sentinel holding a newer configuration epoch
 * is where every sentinel converges (Sentinel's own rule: a leader is elected by a majority):
 * follow it when its node says master; until then the old one is not confirmed either.
 */
function newerEpoch(
  state: WatchState,
  named: Addr | undefined,
): { addr: Addr; reason: string; confirmed: boolean } | undefined {
  if (!named) return undefined;
  const counted = Object.entries(state.views).filter(([, v]) => usable(v) && v.master);
  const namedEpoch = Math.max(
    ...counted.filter(([, v]) => key(v.master!) === key(named)).map(([, v]) => v.epoch ?? 0),
  );
  for (const [name, v] of counted) {
    if (key(v.master!) === key(named) || (v.epoch ?? 0) <= namedEpoch) continue;
    const role = state.roles[key(v.master!)];
    return {
      addr: v.master!,
      confirmed: role === 'master',
      reason: `${key(v.master!)} named by ${name} with a newer configuration (epoch ${v.epoch ?? 0} > ${namedEpoch}) ${role === 'master' ? 'and confirmed by ROLE' : `but ROLE says ${role ?? 'nothing yet'}`}`,
    };
  }
  return undefined;
}

/** What ROLE says of a replica's link (for the read endpoint). */
export interface ReplicaLink {
  following?: Addr | undefined;
  /** ROLE's state is "connected". */
  up: boolean;
}

/** The node a usable sentinel's failover is promoting in place of `doomed`, among `nodes`. */
export function promotedInstead<N extends Addr>(
  state: WatchState,
  nodes: readonly N[],
  doomed: Addr,
): N | undefined {
  const v = Object.values(state.views).find(
    (x) => usable(x) && x.failoverInProgress && x.promoting && key(x.promoting) !== key(doomed),
  );
  return v?.promoting && nodes.find((n) => key(n) === key(v.promoting!));
}

/**
 * The read endpoint's node: an in-sync replica (ROLE slave, link connected, following the
 * confirmed primary), keeping the current one while it qualifies; else the primary itself, so
 * reads always have somewhere to go. Pure.
 */
export function pickReadNode<N extends Addr>(
  nodes: readonly N[],
  roles: WatchState['roles'],
  links: Readonly<Record<string, ReplicaLink>>,
  primary: Addr | undefined,
  current: Addr | undefined,
): N | undefined {
  if (!primary) return undefined;
  const inSync = (n: Addr): boolean => {
    const l = links[key(n)];
    return (
      roles[key(n)] === 'slave' &&
      l?.up === true &&
      l.following !== undefined &&
      key(l.following) === key(primary)
    );
  };
  const candidates = nodes.filter(inSync);
  return (
    candidates.find((n) => current && key(n) === key(current)) ??
    candidates[0] ??
    nodes.find((n) => key(n) === key(primary))
  );
}

/**
 * Sentinels that answered within the window: fresh evidence only (a poll hanging on a cut link
 * keeps the old view, so the age of the last answer is what counts, not the view).
 */
export function reachableWithin(state: WatchState, now: number, windowMs: number): number {
  return Object.values(state.views).filter((v) => v.reachable && now - v.seenAt <= windowMs).length;
}

/**
 * Former primaries (`among`) still saying role:master while the view confirms another one:
 * Sentinel converts such a node only seconds later, discarding what it accepts meanwhile. Never
 * while any usable sentinel reports a failover in progress (mid-failover the node being promoted
 * says master before the others know), and never a node that was not a primary before (one
 * just promoted by a failover whose leader we do not see). Pure.
 */
export function staleMasters(
  state: WatchState,
  verdict: Verdict,
  nodes: readonly NodeSpec<number>[],
  among: ReadonlySet<string>,
): string[] {
  if (!verdict.confirmed || !verdict.named) return [];
  if (Object.values(state.views).some((v) => usable(v) && v.failoverInProgress)) return [];
  const primary = key(verdict.named);
  return nodes
    .filter((n) => among.has(n.name) && key(n) !== primary && state.roles[key(n)] === 'master')
    .map((n) => n.name);
}

/** No answer from a sentinel majority within the fence timeout: cut off, maybe a minority. Pure. */
export function isolated(
  t: { endpoint: { fenceTimeoutMs: number }; sentinels: readonly unknown[] },
  state: WatchState,
  now = Date.now(),
): boolean {
  const reachable = reachableWithin(state, now, t.endpoint.fenceTimeoutMs);
  return reachable < majorityNeeded(t.sentinels.length);
}

/** Poll fast while a failover is under way or the named primary does not answer. */
export function pollDelay(state: WatchState, named: Addr | undefined, pollMs: number): number {
  const views = Object.values(state.views);
  // Sentinel announces REPLICAOF NO ONE as it sends it: our first ROLE may still beat it.
  const promoting = views.some(
    (v) => v.failoverInProgress && v.promoting && state.roles[key(v.promoting)] !== 'master',
  );
  if (promoting) return Math.min(2, pollMs);
  const urgent =
    views.some((v) => v.failoverInProgress) ||
    (named !== undefined && state.roles[key(named)] === 'unknown');
  return urgent ? Math.min(20, pollMs) : pollMs;
}

/** The same state for other members: views of removed sentinels and roles of removed nodes go. */
export function withMembers(
  state: WatchState,
  sentinels: readonly string[],
  nodes: readonly Addr[],
): WatchState {
  const fresh = initialState(sentinels).views;
  const views = Object.fromEntries(sentinels.map((s) => [s, state.views[s] ?? fresh[s]!]));
  const keep = new Set(nodes.map(key));
  const roles = Object.fromEntries(Object.entries(state.roles).filter(([k]) => keep.has(k)));
  return { ...state, views, roles };
}
