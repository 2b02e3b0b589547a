import type { HaEvent } from '../events/events.js';
import type { PreparedState } from '../state/prepare.js';
import { LiveSecrets } from '../state/live-secrets.js';
import { ClusterView } from '../view/view.js';
import type { OpenViewOptions } from '../view/with-view.js';

export interface DaemonView {
  view: ClusterView;
  secrets: LiveSecrets;
  stop(): void;
}

/**
 * The view of a daemon run alone (proxy, exporter, dashboard): it follows `secrets rotate`
 * while it serves (LiveSecrets), and `stop` closes both.
 */
export async function startDaemonView(
  p: PreparedState,
  o: OpenViewOptions & { log: (e: HaEvent) => void },
): Promise<DaemonView> {
  const secrets = new LiveSecrets(p.t, p.dir, p.secrets);
  secrets.on('event', o.log);
  const view = new ClusterView({
    topology: p.t,
    secrets,
    nodeUser: o.nodeUser ?? 'monitor',
    pollMs: o.pollMs,
  });
  view.on('event', o.log);
  await view.start();
  secrets.start();
  return {
    view,
    secrets,
    stop: () => {
      secrets.stop();
      view.stop();
    },
  };
}
