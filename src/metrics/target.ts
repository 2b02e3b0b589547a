import type { Credentials } from '../secrets/credentials.js';
import type { Redis } from 'ioredis';
import { createClient, redisErrorText, type Address } from '../redis/client.js';

export type TargetResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * One persistent, reconnecting connection to a scrape target. Every request is bounded: past the
 * timeout the scrape goes on without it (`up 0`), and while that request still has no reply the
 * target is reported down at once instead of queueing more requests behind a hung server.
 */
export class ScrapeTarget {
  readonly #client: Redis;
  readonly #timeoutMs: number;
  #pendingSince: number | undefined;

  constructor(a: Address, auth: Credentials, timeoutMs: number, name = 'redis-ha-exporter') {
    this.#timeoutMs = timeoutMs;
    this.#client = createClient(a, {
      ...auth,
      timeoutMs,
      commandTimeoutMs: 0,
      reconnect: true,
      name,
    });
  }

  async run<T>(fn: (c: Redis) => Promise<T>): Promise<TargetResult<T>> {
    if (this.#pendingSince !== undefined)
      return {
        ok: false,
        error: `no reply to the previous request for ${Math.round((Date.now() - this.#pendingSince) / 1000)}s`,
      };
    const c = this.#client;
    if (c.status === 'wait') void c.connect().catch(() => undefined);
    if (c.status === 'end' || c.status === 'reconnecting' || c.status === 'close')
      return { ok: false, error: `not connected (${c.status})` };
    const started = Date.now();
    this.#pendingSince = started;
    const work = (async () => {
      if (c.status !== 'ready') await once(c, this.#timeoutMs);
      return fn(c);
    })();
    const settled = work.finally(() => {
      if (this.#pendingSince === started) this.#pendingSince = undefined;
    });
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

  close(): void {
    this.#client.disconnect();
  }
}

/** Resolves when the client is ready; rejects when it fails or the bound passes. */
function once(c: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      clearTimeout(timer);
      c.off('ready', onReady);
      c.off('end', onEnd);
      c.off('reconnecting', onEnd);
      if (e) reject(e);
      else resolve();
    };
    const onReady = (): void => done();
    const onEnd = (): void => done(new Error(`not connected (${c.status})`));
    const timer = setTimeout(() => done(new Error('connect timeout')), timeoutMs);
    c.on('ready', onReady);
    c.on('end', onEnd);
    c.on('reconnecting', onEnd);
  });
}
