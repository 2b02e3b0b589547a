import type { DashboardServer } from '../dashboard/server.js';
import { startProxyEndpoint } from '../endpoint/run.js';
import type { HaEvent } from '../events/events.js';
import { BackupScheduler } from '../ops/backup-schedule.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { PreparedState } from '../state/prepare.js';
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
 * The daemons a topology asks for, on the process's view: exporter, dashboard, the endpoint,
 * then the backup scheduler (`p` given and `backup.every` set; it stops first, so a backup under
 * way is abandoned before the clients leave). On a failure the ones started are stopped.
 */
export async function startDaemons(
  view: ClusterView,
  secrets: SecretsSource,
  log: (e: HaEvent) => void,
  p?: PreparedState,
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
    if (p && t.backup) out.list.push(startBackups(p, view, t.backup, log));
  } catch (e) {
    for (const d of out.list.reverse()) await d.stop().catch(() => undefined);
    throw e;
  }
  return out;
}

function startBackups(
  p: PreparedState,
  view: ClusterView,
  b: { everyMs: number; keep: number; dir: string },
  log: (e: HaEvent) => void,
): BackupScheduler {
  const stopTimeoutMs = view.topology.supervisor.stopTimeoutMs;
  const s = new BackupScheduler({
    p,
    view,
    everyMs: b.everyMs,
    keep: b.keep,
    root: b.dir,
    stopTimeoutMs,
  });
  s.on('event', log);
  s.start();
  return s;
}
