import type { ClusterView } from '../view/view.js';
import { singleCopy } from '../view/synced.js';

/**
 * How long the primary took writes alone during a run (the single-copy window: no replica
 * confirmed them), from the drill's own looks every `periodMs`; null when it never did.
 */
export class SingleCopyClock {
  readonly #view: ClusterView;
  readonly #periodMs: number;
  #timer: NodeJS.Timeout | undefined;
  #since: number | undefined;
  #totalMs = 0;
  #seen = false;

  constructor(view: ClusterView, periodMs = 100) {
    this.#view = view;
    this.#periodMs = periodMs;
  }

  start(): void {
    const tick = (): void => {
      const at = performance.now();
      void this.#view
        .look()
        .then((obs) => {
          const p = this.#view.primary?.name;
          this.#note(
            singleCopy(
              this.#view.topology,
              obs.nodes.find((n) => n.name === p),
            ),
            at,
          );
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#periodMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops and returns the window's total length in ms (null: never single copy). */
  stop(): number | null {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#note(false, performance.now());
    return this.#seen ? this.#totalMs : null;
  }

  #note(alone: boolean, at: number): void {
    if (alone && this.#since === undefined) {
      this.#since = at;
      this.#seen = true;
    } else if (!alone && this.#since !== undefined) {
      this.#totalMs += at - this.#since;
      this.#since = undefined;
    }
  }
}
