import { setTimeout as sleep } from 'node:timers/promises';
import type { HaEventKind, Level } from '../events/events.js';
import type { BoundTopology, NodeSpec } from '../topology/model.js';
import type { Authority } from './authority.js';

export interface ImmediateFailoverOptions {
  t: BoundTopology;
  authority: Authority;
  /** Watches a primary for a hang (hang-guard.ts). */
  hangGuard: (node: NodeSpec<number>, onHung: (silentMs: number) => void) => { stop(): void };
  /** Whether the backend runs the node's process now (undefined: not one of ours). */
  runs: (name: string) => boolean | undefined;
  /** Synced, running, promotable replicas of `primary`. */
  candidates: (primary: string) => string[];
  /** The primary now (undefined once the controller stopped). */
  primary: () => string | undefined;
  event: (kind: HaEventKind, message: string, member: string, level?: Level) => void;
}

/**
 * A failover without waiting for Sentinel's own detection when the controller knows better: the
 * primary's process exited, or it has not answered PING for down-after while it runs (hung,
 * SIGSTOP). Once per primary: the authority refuses a second one while a failover runs, and
 * picks only a promotable (synced) replica.
 */
export class ImmediateFailover {
  readonly #o: ImmediateFailoverOptions;
  #askedFor: string | undefined;
  #guard: { node: string; stop(): void } | undefined;

  constructor(o: ImmediateFailoverOptions) {
    this.#o = o;
  }

  retopology(t: BoundTopology): void {
    this.#o.t = t;
  }

  /**
   * The primary changed (or it starts): re-arm, and watch it for a hang when it runs here, or,
   * when the authority can confirm a silence, from the host of a replica (a primary whose whole
   * host went silent has no supervisor left to notice).
   */
  watch(primary: NodeSpec<number> | undefined): void {
    this.#askedFor = undefined;
    if (this.#guard?.node === primary?.name) return;
    this.#guard?.stop();
    this.#guard = undefined;
    if (!primary || !this.#watches(primary.name)) return;
    const g = this.#o.hangGuard(primary, (ms) => this.#onHung(primary.name, ms));
    this.#guard = { node: primary.name, stop: () => g.stop() };
  }

  stop(): void {
    this.#guard?.stop();
    this.#guard = undefined;
  }

  /** The primary's process exited and a synced replica exists. */
  exited(name: string): void {
    void this.#request(
      name,
      `the primary's process exited: asked {by} for an immediate failover (no down-after wait)`,
    );
  }

  #watches(primary: string): boolean {
    if (this.#o.runs(primary) !== undefined) return true;
    return (
      this.#o.authority.confirmsSilence !== undefined &&
      this.#o.t.nodes.some((n) => n.name !== primary && this.#o.runs(n.name) !== undefined)
    );
  }

  #onHung(name: string, silentMs: number): void {
    if (this.#o.runs(name) === false || name !== this.#o.primary()) return;
    if (this.#o.runs(name) === undefined) return void this.#onSilent(name, silentMs);
    const d = this.#o.t.sentinel.downAfterMs;
    if (this.#o.candidates(name).length === 0)
      return this.#o.event(
        'warning',
        `no answer to PING for ${silentMs}ms (down-after ${d}ms) but no synced replica to promote: not failing over`,
        name,
        'warn',
      );
    this.#o.event(
      'primary-down',
      `no answer to PING for ${silentMs}ms (down-after ${d}ms) while its process runs: hung`,
      name,
      'warn',
    );
    void this.#request(
      name,
      `hung primary: asked {by} for a failover now rather than after Sentinel's ping, vote and election`,
    );
  }

  /**
   * A primary on another host went silent to us: only the host of the replica Sentinel would
   * pick asks (one request, not one per host), and only once a majority of the sentinels
   * confirm the silence, so a cut-off minority, or a link cut between two hosts only, never
   * fails over a primary the others still reach. Bounded by down-after; Sentinel's own
   * detection goes on regardless.
   */
  async #onSilent(name: string, silentMs: number): Promise<void> {
    const best = this.#o.candidates(name)[0];
    const authority = this.#o.authority;
    if (!best || this.#o.runs(best) !== true || !authority.confirmsSilence) return;
    const d = this.#o.t.sentinel.downAfterMs;
    const deadline = Date.now() + d;
    while (name === this.#o.primary() && this.#askedFor !== name) {
      if (await authority.confirmsSilence(name, d)) break;
      if (Date.now() >= deadline) return;
      await sleep(50);
    }
    if (name !== this.#o.primary() || this.#askedFor === name) return;
    this.#o.event(
      'primary-down',
      `no answer to PING for ${silentMs}ms from here (down-after ${d}ms), and none for down-after to a majority of the sentinels: unreachable`,
      name,
      'warn',
    );
    await this.#request(
      name,
      `silent primary: asked {by} for a failover now rather than after Sentinel's ping, vote and election`,
    );
  }

  /** Once per primary; retried while a just-synced replica may still look unpromotable. */
  async #request(name: string, started: string): Promise<void> {
    if (this.#askedFor === name) return;
    this.#askedFor = name;
    const deadline = Date.now() + this.#o.t.sentinel.downAfterMs;
    for (;;) {
      const r = await this.#o.authority.failover(name);
      if (this.#askedFor !== name || this.#o.primary() !== name) return; // switched meanwhile
      if (!r.started && !r.inProgress && Date.now() < deadline) {
        await sleep(100);
        continue;
      }
      this.#o.event(
        'decision',
        r.started
          ? started.replace('{by}', r.by ?? '?')
          : `immediate failover not started (${r.text}); ${this.#o.authority.name}'s own detection continues`,
        name,
      );
      return;
    }
  }
}
