/**
 * The one majority rule of redis-ha, used by every component that asks "which node is the
 * primary" (the view, health, metrics, the dashboard, the VIP fence, the Nagios plugins). No
 * imports: the plugins bundle it without pulling in anything else.
 */

/** What one sentinel says: its vote counts only when usable (reachable and not in TILT). */
export interface Ballot<T> {
  usable: boolean;
  vote?: T | undefined;
}

export interface Tally<T> {
  /** The vote a strict majority of all configured sentinels give, if any. */
  winner?: T | undefined;
  /** The most frequent vote, majority or not. */
  top?: T | undefined;
  votes: number;
  needed: number;
  /** Sentinels whose vote counted. */
  usable: number;
}

/** A strict majority of all configured sentinels (not of those reachable). */
export function majorityNeeded(total: number): number {
  return Math.floor(total / 2) + 1;
}

/**
 * Counts the usable ballots. A sentinel in TILT neither acts nor can be trusted to be current, so
 * it never counts; the majority is of all configured sentinels, so a minority never decides.
 */
export function tally<T>(
  ballots: readonly Ballot<T>[],
  keyOf: (v: T) => string,
  total = ballots.length,
): Tally<T> {
  const counts = new Map<string, { vote: T; n: number }>();
  let usable = 0;
  for (const b of ballots) {
    if (!b.usable) continue;
    usable++;
    if (b.vote === undefined) continue;
    const k = keyOf(b.vote);
    counts.set(k, { vote: b.vote, n: (counts.get(k)?.n ?? 0) + 1 });
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n)[0];
  const needed = majorityNeeded(total);
  const votes = best?.n ?? 0;
  return {
    winner: votes >= needed ? best?.vote : undefined,
    top: best?.vote,
    votes,
    needed,
    usable,
  };
}
