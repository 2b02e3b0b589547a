import { RedisHaError } from '../errors/errors.js';
import { waitFor } from '../util/wait.js';
import type { Health } from './health.js';
import { analyzeHealth } from './health.js';
import type { ClusterView } from './view.js';

export interface WaitHealthyOptions {
  /** Offsets must match exactly (`up`); a topology taking writes tolerates a little lag. */
  strictOffsets?: boolean;
  /** Processes whose exit ends the wait (throws). */
  check?: () => void;
}

/** Looks until the analysis says healthy, reporting sentinel agreement as it changes. Bounded. */
export async function waitHealthy(
  view: Pick<ClusterView, 'look' | 'topology'>,
  timeoutMs: number,
  progress: (line: string) => void,
  o: WaitHealthyOptions = {},
): Promise<Health> {
  const t = view.topology;
  let last = '';
  return waitFor<Health>(
    async () => {
      o.check?.();
      const h = analyzeHealth(t, await view.look(), { strictOffsets: o.strictOffsets ?? true });
      const reachable = h.sentinelReachable;
      const line = h.primary
        ? `sentinels agree on primary ${h.primary} (${h.agreeing}/${t.sentinels.length}), quorum ${t.quorum}/${t.sentinels.length}: ${reachable} reachable`
        : `waiting for the sentinels to agree (${reachable}/${t.sentinels.length} reachable)`;
      if (line !== last) {
        last = line;
        progress(line);
      }
      return h.healthy ? h : { pending: h.problems.join('; ') };
    },
    { timeoutMs, intervalMs: 50, what: 'the cluster to become healthy' },
  );
}

/** A process that ended while it was being waited for. */
export function exitedError(name: string, what: string): RedisHaError {
  return new RedisHaError('PROCESS_FAILED', `${name} exited while ${what}`, {
    hint: `see its log: \`redis-ha logs ${name}\``,
  });
}
