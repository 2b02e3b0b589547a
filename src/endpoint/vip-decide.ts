import { majorityNeeded } from '../topology/majority.js';
import {
  key,
  reachableWithin,
  type Addr,
  type Verdict,
  type WatchState,
} from '../view/watch-state.js';

export interface VipInput {
  state: WatchState;
  verdict: Verdict;
  /** This host's node. */
  local: Addr;
  /** Whether this host holds the address now. */
  holding: boolean;
  now: number;
  fenceTimeoutMs: number;
  /** The local node's process is gone (its port refuses connections). */
  localDead: boolean;
}

/** Time the decision leaves for acting on it before the fence timeout is up. */
export const FENCE_MARGIN_MS = 250;

export interface VipDecision {
  hold: boolean;
  reason: string;
}

/**
 * Whether this host should hold the floating address: only while it can reach a majority of all
 * sentinels (fencing: when the last answers are older than the fence timeout, which is shorter
 * than down-after, an isolated primary lets go before the others can promote anyone) and the
 * watcher confirms the local node as the primary (majority + ROLE, or a failover leader's
 * promotion confirmed by ROLE). Released at once when another node is confirmed, a failover
 * leader is replacing this one, or the local process is gone. Pure.
 */
export function decideVip(i: VipInput): VipDecision {
  const needed = majorityNeeded(Object.keys(i.state.views).length);
  // Decide early enough that the address is gone *within* the fence timeout: one agent tick
  // (100 ms) and the `ip addr del` itself come after the decision.
  const window = Math.max(100, i.fenceTimeoutMs - FENCE_MARGIN_MS);
  const reachable = reachableWithin(i.state, i.now, window);
  const named = i.verdict.named;
  const isLocal = named !== undefined && key(named) === key(i.local);
  if (i.localDead) return { hold: false, reason: 'the local node is not running' };
  if (i.verdict.doomed && key(i.verdict.doomed) === key(i.local))
    return { hold: false, reason: `a failover is replacing this node (${i.verdict.reason})` };
  if (named && !isLocal && i.verdict.confirmed)
    return { hold: false, reason: `the primary is ${key(named)} (${i.verdict.reason})` };
  if (reachable < needed)
    return {
      hold: false,
      reason: `fenced: ${reachable} sentinel${reachable === 1 ? '' : 's'} answered in the last ${window}ms, ${needed} needed (fence timeout ${i.fenceTimeoutMs}ms)`,
    };
  if (isLocal && i.verdict.confirmed) return { hold: true, reason: i.verdict.reason };
  if (i.holding && (named === undefined || isLocal))
    return { hold: true, reason: `kept while no other node is confirmed (${i.verdict.reason})` };
  return { hold: false, reason: `not the confirmed primary (${i.verdict.reason})` };
}
