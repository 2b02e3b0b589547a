/**
 * Runs `fn` every `periodMs` and on demand (`kick`), never twice at once: a kick during a run
 * schedules exactly one more run right after it.
 */
export class ReconcileLoop {
  readonly #fn: () => Promise<void>;
  readonly #periodMs: number;
  readonly #onError: (e: unknown) => void;
  #running = false;
  #pending = false;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;

  constructor(fn: () => Promise<void>, periodMs: number, onError: (e: unknown) => void) {
    this.#fn = fn;
    this.#periodMs = periodMs;
    this.#onError = onError;
  }

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#pending = true;
      return;
    }
    void this.#run().catch(this.#onError);
  }

  async #run(): Promise<void> {
    this.#running = true;
    clearTimeout(this.#timer);
    try {
      await this.#fn();
    } finally {
      this.#running = false;
      if (!this.#stopped) {
        const delay = this.#pending ? 0 : this.#periodMs;
        this.#pending = false;
        this.#timer = setTimeout(() => this.kick(), delay);
      }
    }
  }
}
