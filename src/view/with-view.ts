import type { PreparedState } from '../state/prepare.js';
import { fixedSecrets } from '../state/live-secrets.js';
import type { AclUser } from '../state/secrets.js';
import { ClusterView } from './view.js';

export interface OpenViewOptions {
  /** `admin` to act on nodes (switchover, failover); `monitor` to look. */
  nodeUser?: AclUser;
  /** Follow the sentinels (polls, events); without it the view only looks when asked. */
  follow?: boolean;
  pollMs?: number;
}

/**
 * Runs `fn` with this process's one view of a topology started before (one-shot commands:
 * status, failover, switchover, the drill), then closes every connection it opened.
 */
export async function withView<T>(
  p: PreparedState,
  fn: (view: ClusterView) => Promise<T>,
  o: OpenViewOptions = {},
): Promise<T> {
  const view = new ClusterView({
    topology: p.t,
    secrets: fixedSecrets(p.secrets),
    nodeUser: o.nodeUser ?? 'admin',
    pollMs: o.pollMs,
    lookMs: 0,
  });
  try {
    if (o.follow ?? true) await view.start();
    return await fn(view);
  } finally {
    view.stop();
  }
}
