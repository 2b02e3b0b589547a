import { setTimeout as sleep } from 'node:timers/promises';
import { RedisHaError } from '../errors/errors.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What we were waiting for, for the timeout message. */
  what: string;
  hint?: string;
  signal?: AbortSignal | undefined;
}

/**
 * Polls `check` until it returns a value other than undefined. Every wait in redis-ha is bounded:
 * on timeout it throws TIMEOUT naming what it waited for and the last reason it saw.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | { pending: string }>,
  o: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    if (o.signal?.aborted)
      throw new RedisHaError('INTERNAL', `aborted while waiting for ${o.what}`);
    const r = await check();
    if (r !== undefined && !(typeof r === 'object' && r !== null && 'pending' in r)) return r;
    if (r && typeof r === 'object' && 'pending' in r) last = r.pending;
    if (Date.now() >= deadline) {
      throw new RedisHaError(
        'TIMEOUT',
        `timed out after ${o.timeoutMs}ms waiting for ${o.what}${last ? ` (last: ${last})` : ''}`,
        {
          hint: o.hint ?? 'see `redis-ha status` and `redis-ha logs`',
        },
      );
    }
    await sleep(o.intervalMs ?? 100);
  }
}
