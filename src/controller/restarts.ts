import { nextBackoff } from './decisions.js';

/**
 * Restarts with exponential backoff per member (a crash loop slows down; a member that stayed up
 * starts again at the minimum), each bounded by the topology's min and max, cancelled on stop.
 */
export class Restarts {
  readonly #minMs: number;
  readonly #maxMs: number;
  #last = new Map<string, { attempts: number; startedAt: number }>();
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(minMs: number, maxMs: number) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
  }

  /** Runs `start` after the member's backoff (`immediate`: the first one at once); the delay. */
  schedule(name: string, start: () => void, immediate = false): number {
    const prev = this.#last.get(name);
    const b = nextBackoff(
      prev?.attempts ?? 0,
      Date.now() - (prev?.startedAt ?? 0),
      this.#minMs,
      this.#maxMs,
    );
    const delay = immediate && b.attempts <= 1 ? 0 : b.delayMs;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopped) return;
      this.#last.set(name, { attempts: b.attempts, startedAt: Date.now() });
      start();
    }, delay);
    this.#timers.add(timer);
    return delay;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
  }
}
