import type { Redis } from 'ioredis';
import { createClient, redisErrorText, type Address, type Auth } from '../redis/client.js';
import { ready } from '../view/links.js';

export type TargetResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * A scrape target over one persistent, reconnecting connection (the view's, or its own). Every
 * request is bounded: past the timeout the scrape goes on without it (`up 0`), and while that
 * request still has no reply the target is reported down at once instead of queueing more
 * requests behind a hung server.
 */
export class ScrapeTarget {
  readonly #connection: () => Redis;
  readonly #owned: Redis | undefined;
  readonly #timeoutMs: number;
  #pendingSince: number | undefined;
  #closed = false;

  /** `connection`: a client to borrow; or an address to open its own connection to. */
  constructor(connection: (() => Redis) | { at: Address; auth: () => Auth }, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    if (typeof connection === 'function') {
      this.#connection = connection;
      return;
    }
    const own = createClient(connection.at, {
      ...connection.auth(),
      refresh: connection.auth,
      timeoutMs,
      commandTimeoutMs: 0,
      reconnect: true,
      name: 'redis-ha-exporter',
    });
    this.#owned = own;
    this.#connection = () => own;
  }

  async run<T>(fn: (c: Redis) => Promise<T>): Promise<TargetResult<T>> {
    if (this.#pendingSince !== undefined)
      return {
        ok: false,
        error: `no reply to the previous request for ${Math.round((Date.now() - this.#pendingSince) / 1000)}s`,
      };
    const c = this.#connection();
    if (c.status === 'wait') void c.connect().catch(() => undefined);
    if (c.status === 'end' || c.status === 'reconnecting' || c.status === 'close')
      return { ok: false, error: `not connected (${c.status})` };
    const started = Date.now();
    this.#pendingSince = started;
    const work = (async () => {
      await ready(c, this.#timeoutMs);
      return fn(c);
    })();
    const settled = work.then(
      (v) => {
        if (this.#pendingSince === started) this.#pendingSince = undefined;
        return v;
      },
      (e: unknown) => {
        // A borrowed connection times its commands out itself: the server may still be hung.
        if (this.#pendingSince === started && !/timed out/i.test(redisErrorText(e)))
          this.#pendingSince = undefined;
        else if (this.#pendingSince === started) this.#untilAnswer(c, started);
        throw e;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<TargetResult<T>>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: `no reply within ${this.#timeoutMs}ms` }),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([
        settled.then(
          (value): TargetResult<T> => ({ ok: true, value }),
          (e: unknown): TargetResult<T> => ({ ok: false, error: redisErrorText(e) }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Pending until the server answers anything again (a PING every 200 ms). */
  #untilAnswer(c: Redis, since: number): void {
    const again = (): void => {
      if (this.#pendingSince !== since || this.#closed) return;
      c.ping().then(
        () => this.#pendingSince === since && (this.#pendingSince = undefined),
        () => void setTimeout(again, 200).unref(),
      );
    };
    again();
  }

  close(): void {
    this.#closed = true;
    this.#owned?.disconnect();
  }
}
