import { openFds, readFdLimit } from '../util/fds.js';

/**
 * Near the file-descriptor limit the kernel and libuv drop new connections silently. The guard
 * says so first: above limit - reserve, a new client gets Redis's own "max number of clients"
 * error and is closed, existing ones are untouched, and the log says what to raise.
 */
export class FdGuard {
  readonly limit: number | undefined;
  readonly #reserve: number;
  #count = 0;
  #countedAt = 0;

  constructor(limit = readFdLimit(), reserve = 32) {
    this.limit = limit;
    this.#reserve = reserve;
  }

  /** True when a new client must be refused. `clients` is a cheap lower bound on open fds. */
  full(clients: number): boolean {
    if (this.limit === undefined || clients < (this.limit - this.#reserve) / 2) return false;
    const now = Date.now();
    // Exact count, at most every 100 ms: cheap enough under a connection flood.
    if (now - this.#countedAt > 100) {
      this.#count = openFds() ?? 0;
      this.#countedAt = now;
    } else this.#count++;
    return this.#count >= this.limit - this.#reserve;
  }
}
