import type { NodeSpec, PersistenceMode } from '../topology/model.js';
import { key, usable, type Verdict, type WatchState } from '../view/watch-state.js';

/**
 * What to do when the primary's process has exited. Pure, and the heart of "never lose data":
 * - a replica holding a complete copy exists: never restart the old primary as a primary (an
 *   empty or stale restart would become the source of a resync); wait for Sentinel's failover;
 * - no replica holds a complete copy: the old primary's own files are the best copy left;
 *   restart it as primary (with persistence off, nothing is left: say so).
 */
export type PrimaryExitDecision =
  | { action: 'wait-for-failover'; candidates: string[] }
  | { action: 'restart-as-primary'; reason: string; dataLost: boolean };

export function decideOnPrimaryExit(input: {
  persistence: PersistenceMode;
  /** Replicas that completed a sync since their last start, are running, and may be promoted. */
  syncedReplicas: readonly string[];
}): PrimaryExitDecision {
  if (input.syncedReplicas.length > 0) {
    return { action: 'wait-for-failover', candidates: [...input.syncedReplicas] };
  }
  if (input.persistence === 'none') {
    return {
      action: 'restart-as-primary',
      reason:
        'no replica holds a complete copy and persistence is off: the dataset is lost; restarting empty',
      dataLost: true,
    };
  }
  return {
    action: 'restart-as-primary',
    reason: `no replica holds a complete copy; restarting as primary from its own ${input.persistence.toUpperCase()} files`,
    dataLost: false,
  };
}

/**
 * Sentinel promoted `promoted`. The old primary may rejoin as its replica only if the promoted
 * node had completed its sync: rejoining an incomplete primary would wipe the old one's data.
 */
export type RejoinDecision = { action: 'rejoin' } | { action: 'hold'; reason: string };

export function decideRejoin(input: {
  promoted: string;
  promotedWasSynced: boolean;
  oldPrimary: string;
}): RejoinDecision {
  if (input.promotedWasSynced) return { action: 'rejoin' };
  return {
    action: 'hold',
    reason:
      `Sentinel promoted ${input.promoted} before it had finished syncing: it may be missing data. ` +
      `${input.oldPrimary} is kept stopped so its files are not overwritten by a resync; ` +
      `inspect both, then restart it with \`redis-ha down\` + \`redis-ha up\``,
  };
}

/** Exponential restart backoff, reset once a child has stayed up for `stableMs`. Pure. */
export function nextBackoff(
  prevAttempts: number,
  uptimeMs: number,
  minMs: number,
  maxMs: number,
  stableMs = 10_000,
): { attempts: number; delayMs: number } {
  const attempts = uptimeMs >= stableMs ? 0 : prevAttempts + 1;
  const delayMs = attempts === 0 ? minMs : Math.min(maxMs, minMs * 2 ** attempts);
  return { attempts, delayMs };
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
