import { RedisHaError } from '../errors/errors.js';
import { redisErrorText } from '../redis/client.js';
import type { NodeSpec } from '../topology/model.js';
import type { ClusterView } from '../view/view.js';

export interface LeaderWatch {
  name: string;
  /** SENTINEL FAILOVER on this sentinel. */
  request(): Promise<void>;
  /** Resolves when the leader announces it will send REPLICAOF NO ONE to the target. */
  selected: Promise<void>;
  close(): void;
}

/**
 * Follows one sentinel's failover events through the view (subscribed before the request), so
 * the pause can be timed on its state machine. Rejects `selected` on an abort or after
 * `timeoutMs`.
 */
export async function leaderWatch(
  view: ClusterView,
  target: NodeSpec<number>,
  timeoutMs: number,
): Promise<LeaderWatch> {
  const t = view.topology;
  let last: unknown;
  for (const s of t.sentinels) {
    try {
      await view.links.get(s).ping();
    } catch (e) {
      last = e;
      continue;
    }
    let settle: { ok: () => void; fail: (e: Error) => void } | undefined;
    const selected = new Promise<void>((ok, fail) => (settle = { ok, fail }));
    selected.catch(() => undefined);
    const timer = setTimeout(
      () =>
        settle?.fail(
          new RedisHaError(
            'TIMEOUT',
            `${s.name} did not select ${target.name} within ${timeoutMs}ms`,
          ),
        ),
      timeoutMs,
    );
    const off = view.on('sentinel', ({ sentinel, channel, payload }) => {
      if (sentinel !== s.name) return;
      if (channel === '+failover-state-send-slaveof-noone') {
        const w = payload.split(' ');
        if (w[2] === target.host && Number(w[3]) === target.port) settle?.ok();
        else
          settle?.fail(
            new RedisHaError(
              'FAILOVER_FAILED',
              `${s.name} selected ${w[1] ?? '?'}, not ${target.name}`,
            ),
          );
      } else if (ABORTS.has(channel))
        settle?.fail(new RedisHaError('FAILOVER_FAILED', `${s.name}: ${channel} ${payload}`));
    });
    return {
      name: s.name,
      selected,
      request: async () => {
        await view.links.once(s, (c) => c.call('SENTINEL', 'FAILOVER', t.masterName));
      },
      close: () => {
        clearTimeout(timer);
        off();
      },
    };
  }
  throw new RedisHaError('FAILOVER_FAILED', `no sentinel reachable: ${redisErrorText(last)}`);
}

const ABORTS = new Set([
  '-failover-abort-no-good-slave',
  '-failover-abort-not-elected',
  '-failover-abort-slave-timeout',
]);
