/**
 * Failovers as seen from the sentinels' events, for metrics and the dashboard. Pure: fed messages
 * and observations with their times. A failover is a change of the announced primary, counted
 * once although every sentinel publishes its own +switch-master.
 */

export interface FailoverEntry {
  from: string;
  to: string;
  /** First sign of the episode (+sdown of the master, +odown or +try-failover), if seen. */
  startedAt?: number | undefined;
  endedAt: number;
  durationMs?: number | undefined;
  /** Found by a periodic look rather than an event (the event stream had missed it). */
  inferred: boolean;
}

const STARTS = new Set(['+sdown', '+odown', '+try-failover']);
const KEEP = 50;
/**
 * After a +switch-master, the other sentinels learn the new epoch from the leader's hellos (every
 * 2 s): for a few periods a majority may still name the old primary without anything reverting.
 */
const LEARN_MS = 10_000;

export class FailoverHistory {
  #primary: string | undefined;
  #episodeStart: number | undefined;
  #inProgress = false;
  #count = 0;
  /** When the last switch was recorded: an observation begun before it cannot undo it. */
  #switchedAt = -Infinity;
  /** The primary the last announced (+switch-master) switch left. */
  #announcedFrom: string | undefined;
  readonly #entries: FailoverEntry[] = [];
  readonly #nameOf: (host: string, port: number) => string;
  /** An episode start older than this is stale (a recovered +sdown, a failed attempt). */
  readonly #staleMs: number;

  constructor(nameOf: (host: string, port: number) => string, staleMs: number) {
    this.#nameOf = nameOf;
    this.#staleMs = staleMs;
  }

  get primary(): string | undefined {
    return this.#primary;
  }

  /** Failovers recorded since this history started. */
  get count(): number {
    return this.#count;
  }

  get inProgress(): boolean {
    return this.#inProgress;
  }

  get last(): FailoverEntry | undefined {
    return this.#entries.at(-1);
  }

  get entries(): readonly FailoverEntry[] {
    return this.#entries;
  }

  /** A sentinel event already filtered by master name. Returns the entry it recorded, if any. */
  onMessage(channel: string, payload: string, at: number): FailoverEntry | undefined {
    const w = payload.split(' ');
    const isMaster = w[0] === 'master';
    if (STARTS.has(channel) && (isMaster || channel === '+try-failover')) {
      if (this.#episodeStart === undefined || at - this.#episodeStart > this.#staleMs)
        this.#episodeStart = at;
      if (channel === '+try-failover') this.#inProgress = true;
      return undefined;
    }
    if (channel === '-sdown' && isMaster && !this.#inProgress) {
      this.#episodeStart = undefined;
      return undefined;
    }
    if (channel === '-failover-abort-not-elected' || channel.startsWith('-failover-abort')) {
      this.#inProgress = false;
      return undefined;
    }
    if (channel !== '+switch-master') return undefined;
    // +switch-master <master> <old-ip> <old-port> <new-ip> <new-port>
    const from = this.#nameOf(w[1] ?? '', Number(w[2]));
    const to = this.#nameOf(w[3] ?? '', Number(w[4]));
    return this.#switch(from, to, at, false);
  }

  /**
   * The primary a sentinel majority named in a look begun at `at`: records a switch the events did
   * not show. A look begun before the last switch is stale (its replies may predate it).
   */
  observe(primary: string | undefined, at: number): FailoverEntry | undefined {
    if (primary === undefined || at < this.#switchedAt) return undefined;
    if (this.#primary === undefined) {
      this.#primary = primary;
      return undefined;
    }
    if (primary === this.#primary) return undefined;
    // The sentinels that have not heard of the switch yet, not a failover back.
    if (primary === this.#announcedFrom && at - this.#switchedAt < LEARN_MS) return undefined;
    return this.#switch(this.#primary, primary, at, true);
  }

  #switch(from: string, to: string, at: number, inferred: boolean): FailoverEntry | undefined {
    if (to === this.#primary) return undefined;
    const start =
      this.#episodeStart !== undefined && at - this.#episodeStart <= this.#staleMs
        ? this.#episodeStart
        : undefined;
    const e: FailoverEntry = {
      from: this.#primary ?? from,
      to,
      startedAt: start,
      endedAt: at,
      durationMs: start === undefined ? undefined : at - start,
      inferred,
    };
    this.#announcedFrom = inferred ? undefined : e.from;
    this.#primary = to;
    this.#switchedAt = at;
    this.#episodeStart = undefined;
    this.#inProgress = false;
    this.#count++;
    this.#entries.push(e);
    if (this.#entries.length > KEEP) this.#entries.shift();
    return e;
  }
}
