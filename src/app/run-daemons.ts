import type { DashboardServer } from '../dashboard/server.js';
import { startProxyEndpoint } from '../endpoint/run.js';
import type { HaEvent } from '../events/events.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { ClusterView } from '../view/view.js';
import { makeCollector, startDashboard, startExporter } from './daemons.js';

export interface Daemon {
  stop(): Promise<void>;
}

export interface Daemons {
  list: Daemon[];
  /** Where the process's events join the dashboard's timeline (when it runs). */
  dashboard?: DashboardServer | undefined;
}

/**
 * The daemons a topology asks for, on the process's view: exporter, dashboard, then the
 * endpoint (started last, so it stops first). On a failure the ones started are stopped.
 */
export async function startDaemons(
  view: ClusterView,
  secrets: SecretsSource,
  log: (e: HaEvent) => void,
): Promise<Daemons> {
  const t = view.topology;
  const out: Daemons = { list: [] };
  try {
    const collector = makeCollector(view, log);
    if (t.exporter.enabled) out.list.push(await startExporter(collector, secrets, log));
    if (t.dashboard.enabled) {
      out.dashboard = await startDashboard(collector, view, secrets, log);
      out.list.push(out.dashboard);
    }
    if (t.endpoint.mode === 'proxy') out.list.push(await startProxyEndpoint(view, secrets, log));
  } catch (e) {
    for (const d of out.list.reverse()) await d.stop().catch(() => undefined);
    throw e;
  }
  return out;
}
