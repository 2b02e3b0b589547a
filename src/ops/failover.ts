import { RedisHaError } from '../errors/errors.js';
import { redisErrorText } from '../redis/client.js';
import { pairsList } from '../redis/info.js';
import { formatDuration } from '../util/units.js';
import { waitFor } from '../util/wait.js';
import { analyzeHealth } from '../view/health.js';
import type { ClusterView } from '../view/view.js';

export interface FailoverResult {
  from: string;
  to: string;
  durationMs: number;
}

export function describeFailover(r: FailoverResult): string {
  return `failover done: ${r.from} -> ${r.to} in ${formatDuration(r.durationMs)}`;
}

/** Sentinel's view of a replica as a promotion candidate (what sentinelSelectSlave checks). Pure. */
export function isEligible(r: Record<string, string>): boolean {
  return (
    !/s_down|o_down|disconnected/.test(r.flags ?? '') &&
    Number(r['slave-priority'] ?? 0) > 0 &&
    r['master-link-status'] === 'ok'
  );
}

/**
 * Asks Sentinel for a failover and waits until the new primary says role:master, every sentinel
 * names it and every replica follows it with its link up. Bounded at every step.
 */
export async function runFailover(
  view: ClusterView,
  progress: (line: string) => void,
): Promise<FailoverResult> {
  const t = view.topology;
  const pool = view.links;
  const started = Date.now();
  {
    const before = analyzeHealth(t, await view.look());
    const from = before.primary;
    if (!from) {
      throw new RedisHaError(
        'UNHEALTHY',
        `cannot fail over: ${before.problems[0] ?? 'no agreed primary'}`,
        { hint: 'see `redis-ha status`' },
      );
    }
    progress(`current primary: ${from}; waiting for a sentinel that sees a promotable replica ...`);
    const sentinel = await waitFor(
      async () => {
        for (const s of t.sentinels) {
          try {
            const replicas = pairsList(
              await pool.get(s).call('SENTINEL', 'REPLICAS', t.masterName),
            );
            if (replicas.some(isEligible)) return s;
          } catch {
            /* try the next sentinel */
          }
        }
        return { pending: 'no sentinel sees a replica with its link up and priority > 0 yet' };
      },
      {
        timeoutMs: 15_000,
        intervalMs: 200,
        what: 'a promotable replica',
        hint: 'a replica must be in sync (see `redis-ha status`)',
      },
    );
    try {
      await pool.once(sentinel, (c) => c.call('SENTINEL', 'FAILOVER', t.masterName));
    } catch (e) {
      const text = redisErrorText(e);
      if (!/INPROG/.test(text))
        throw new RedisHaError('FAILOVER_FAILED', `Sentinel refused the failover: ${text}`, {
          hint: 'see `redis-ha status`',
          cause: e,
        });
      progress('a failover is already in progress; following it');
    }
    progress(`failover requested from ${sentinel.name}`);
    let last = '';
    const to = await waitFor(
      async () => {
        const h = analyzeHealth(t, await view.look());
        const line =
          h.primary && h.primary !== from
            ? `${h.primary} is primary; ${h.agreeing}/${t.sentinels.length} sentinels agree`
            : 'waiting for the promotion';
        if (line !== last) progress((last = line));
        if (h.primary && h.primary !== from && h.healthy) return h.primary;
        return { pending: h.problems.join('; ') || 'promotion not visible yet' };
      },
      {
        timeoutMs: t.sentinel.failoverTimeoutMs + 20_000,
        intervalMs: 50,
        what: 'the new primary to be confirmed by every sentinel and followed by every replica',
      },
    );
    return { from, to, durationMs: Date.now() - started };
  }
}
