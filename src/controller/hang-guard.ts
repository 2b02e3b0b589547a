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
 * Watches the primary the supervisor runs with its own PING every 50 ms, the way a sentinel
 * would with a 50 ms ping period (Sentinel's own is 1 s, and lowering it on every sentinel makes
 * them all reach ODOWN together and split the vote). A reply delayed by a slow command shorter
 * than down-after is not a hang. Fires once per silence; a reply re-arms it.
 */
export class HangGuard {
  readonly #o: HangGuardOptions;
  readonly #client: Redis;
  #timer: NodeJS.Timeout | undefined;
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
    this.#timer = setInterval(() => this.#tick(), this.#o.periodMs ?? 50);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#client.disconnect();
  }

  #tick(): void {
    if (this.#stopped) return;
    const sentAt = this.#sentAt;
    if (sentAt === undefined) {
      if (this.#client.status !== 'ready') return; // a closed connection is the exit path's business
      const at = Date.now();
      this.#sentAt = at;
      this.#client.call('PING').then(
        () => {
          if (this.#sentAt === at) this.#sentAt = undefined;
          this.#fired = false;
        },
        () => {
          if (this.#sentAt === at) this.#sentAt = undefined;
        },
      );
      return;
    }
    if (this.#fired || !isHung(sentAt, Date.now(), this.#o.downAfterMs)) return;
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
