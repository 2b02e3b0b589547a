import type { Redis } from 'ioredis';
import { createClient, type Auth } from '../redis/client.js';
import type { NodeSpec } from '../topology/model.js';

export interface HangGuardOptions {
  node: NodeSpec<number>;
  auth: () => Auth;
  /** Sentinel's down-after: a PING unanswered this long means hung, as for Sentinel's SDOWN. */
  downAfterMs: number;
  periodMs?: number;
  onHung: (silentMs: number) => void;
}

/** Pure: a PING sent at `sentAt` and still unanswered at `now` makes the node hung. */
export function isHung(sentAt: number | undefined, now: number, downAfterMs: number): boolean {
  return sentAt !== undefined && now - sentAt >= downAfterMs;
}

/**
 * Watches the primary the supervisor runs with its own PING every 20 ms, the way a sentinel
 * would with a 20 ms ping period (Sentinel's own is 1 s, and lowering it on every sentinel makes
 * them all reach ODOWN together and split the vote). A reply delayed by a slow command shorter
 * than down-after is not a hang. Each PING arms a timer for its own deadline, so a hang is
 * declared down-after from the first unanswered PING (at most one period after the node went
 * silent), not at the next tick. Fires once per silence; a reply re-arms it.
 */
export class HangGuard {
  readonly #o: HangGuardOptions;
  readonly #client: Redis;
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #sentAt: number | undefined;
  #fired = false;
  #stopped = false;

  constructor(o: HangGuardOptions) {
    this.#o = o;
    // No command timeout: the PING in flight is the measure of the silence.
    this.#client = createClient(o.node, {
      ...o.auth(),
      refresh: o.auth,
      reconnect: true,
      timeoutMs: 1000,
      commandTimeoutMs: 0,
      name: 'redis-ha-hang-guard',
    });
  }

  get node(): string {
    return this.#o.node.name;
  }

  start(): void {
    void this.#client.connect().catch(() => undefined);
    this.#timer = setInterval(() => this.#tick(), this.#o.periodMs ?? 20);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#deadline);
    this.#client.disconnect();
  }

  #tick(): void {
    if (this.#stopped || this.#sentAt !== undefined) return;
    if (this.#client.status !== 'ready') return; // a closed connection is the exit path's business
    const at = Date.now();
    this.#sentAt = at;
    const done = (answered: boolean): void => {
      if (this.#sentAt !== at) return;
      this.#sentAt = undefined;
      clearTimeout(this.#deadline);
      if (answered) this.#fired = false;
    };
    this.#client.call('PING').then(
      () => done(true),
      () => done(false),
    );
    if (!this.#fired) this.#deadline = setTimeout(() => this.#check(at), this.#o.downAfterMs);
  }

  #check(sentAt: number): void {
    if (this.#stopped || this.#fired || this.#sentAt !== sentAt) return;
    if (!isHung(sentAt, Date.now(), this.#o.downAfterMs)) {
      this.#deadline = setTimeout(() => this.#check(sentAt), 5);
      return;
    }
    // After a stall of our own event loop the timer runs before the pending reply is read:
    // look again once I/O has been processed.
    setImmediate(() => {
      if (this.#stopped || this.#fired || this.#sentAt !== sentAt) return;
      this.#fired = true;
      this.#o.onHung(Date.now() - sentAt);
    });
  }
}

/** The controller's hang guards over this process's node credentials. */
export function hangGuards(
  auth: () => Auth,
  downAfterMs: number,
): (node: NodeSpec<number>, onHung: (silentMs: number) => void) => { stop(): void } {
  return (node, onHung) => {
    const g = new HangGuard({ node, auth, downAfterMs, onHung });
    g.start();
    return g;
  };
}
