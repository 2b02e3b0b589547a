import type { Credentials } from '../secrets/credentials.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HaEventKind, Level } from '../events/events.js';
import { requestFailover } from '../sentinel/failover.js';
import type { BoundTopology, NodeSpec } from '../topology/model.js';
import { HangGuard } from './hang-guard.js';
import type { ClientPool } from './observe.js';

export interface FailoverTriggerOptions {
  t: BoundTopology;
  pool: ClientPool;
  /** The admin user's credentials. */
  auth: Credentials;
  /** Replicas that may be promoted instead of `primary` (synced, running, priority > 0). */
  candidates: (primary: string) => string[];
  /** Whether the supervisor's process for the node is alive. */
  running: (name: string) => boolean;
  event: (kind: HaEventKind, message: string, member: string, level?: Level) => void;
}

/**
 * Starts a failover without waiting for Sentinel's own detection when the supervisor knows
 * better: the primary's process exited, or it has not answered PING for down-after while its
 * process runs (hung, SIGSTOP). Once per primary: Sentinel refuses a second SENTINEL FAILOVER
 * while one runs (INPROG), and picks only a promotable (synced) replica.
 */
export class FailoverTrigger {
  readonly #o: FailoverTriggerOptions;
  #forcedFor: string | undefined;
  #guard: HangGuard | undefined;

  constructor(o: FailoverTriggerOptions) {
    this.#o = o;
  }

  /** The primary changed (or booted): re-arm for it. */
  watch(primary: NodeSpec<number>): void {
    this.#forcedFor = undefined;
    if (this.#guard?.node === primary.name) return;
    this.#guard?.stop();
    this.#guard = new HangGuard({
      node: primary,
      auth: this.#o.auth,
      downAfterMs: this.#o.t.sentinel.downAfterMs,
      onHung: (ms) => void this.#onHung(primary.name, ms),
    });
    this.#guard.start();
  }

  stop(): void {
    this.#guard?.stop();
    this.#guard = undefined;
  }

  /** The primary's process exited and a synced replica exists. */
  async exited(name: string): Promise<void> {
    await this.#force(
      name,
      `the primary's process exited: asked {sentinel} for an immediate failover (no down-after wait)`,
    );
  }

  async #onHung(name: string, silentMs: number): Promise<void> {
    if (!this.#o.running(name)) return; // the exit path owns a dead process
    const d = this.#o.t.sentinel.downAfterMs;
    const candidates = this.#o.candidates(name);
    if (candidates.length === 0) {
      this.#o.event(
        'warning',
        `no answer to PING for ${silentMs}ms (down-after ${d}ms) but no synced replica to promote: not failing over`,
        name,
        'warn',
      );
      return;
    }
    this.#o.event(
      'primary-down',
      `no answer to PING for ${silentMs}ms (down-after ${d}ms) while its process runs: hung`,
      name,
      'warn',
    );
    await this.#force(
      name,
      `hung primary: asked {sentinel} for a failover now rather than after Sentinel's ping, vote and election`,
    );
  }

  async #force(name: string, started: string): Promise<void> {
    if (this.#forcedFor === name) return;
    this.#forcedFor = name;
    // The sentinels refresh a replica's INFO every second: one just synced may look
    // unpromotable (NOGOODSLAVE) for up to that long. Retry until then, not beyond down-after.
    const deadline = Date.now() + this.#o.t.sentinel.downAfterMs;
    for (;;) {
      const r = await requestFailover(this.#o.pool);
      const retry = !r.started && /NOGOODSLAVE/.test(r.text) && Date.now() < deadline;
      if (this.#forcedFor !== name) return; // another switch happened meanwhile
      if (retry) {
        await sleep(100);
        continue;
      }
      this.#o.event(
        'decision',
        r.started
          ? started.replace('{sentinel}', r.sentinel ?? '?')
          : `immediate failover not started (${r.text}); Sentinel's own detection continues`,
        name,
      );
      return;
    }
  }
}
