import { DashboardServer, type DashboardAction } from '../dashboard/server.js';
import { makeEvent, type HaEvent } from '../events/events.js';
import { TopologyCollector } from '../metrics/collector.js';
import { collectorSource, Exporter, type MetricsSource } from '../metrics/exporter.js';
import { describeFailover, runFailover } from '../ops/failover.js';
import { describeSwitchover, runSwitchover } from '../ops/switchover.js';
import { credentials } from '../state/credentials.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { ClusterView } from '../view/view.js';

/** One collector for the daemons of a process (exporter, dashboard), over its view. */
export function makeCollector(view: ClusterView, onEvent: (e: HaEvent) => void): TopologyCollector {
  const c = new TopologyCollector(view, view.topology.exporter.timeoutMs);
  c.on('event', onEvent);
  return c;
}

/** Starts the exporter at the topology's `exporter.listen` (or `listen`). */
export async function startExporter(
  collector: TopologyCollector | MetricsSource,
  secrets: SecretsSource,
  onEvent: (e: HaEvent) => void,
  listen: { host: string; port: number } = collector.topology.exporter.listen,
): Promise<Exporter> {
  const t = collector.topology;
  const ex = new Exporter({
    collector: 'metrics' in collector ? collector : collectorSource(collector),
    host: listen.host,
    port: listen.port,
    timeoutMs: t.exporter.timeoutMs,
    // Scrapes authenticate as the monitor user (HTTP Basic), like every other read-only client.
    auth: () => credentials(t, secrets.current, 'monitor'),
  });
  ex.on('event', onEvent);
  await ex.start();
  return ex;
}

/** The dashboard's buttons: the same library functions as the CLI, on the running view. */
export function dashboardActions(
  view: ClusterView,
  onEvent: (e: HaEvent) => void,
): (a: DashboardAction) => Promise<string> {
  const progress = (line: string): void =>
    onEvent(makeEvent('progress', line, { member: 'dashboard' }));
  return async (a) =>
    a === 'switchover'
      ? describeSwitchover(await runSwitchover(view, progress))
      : describeFailover(await runFailover(view, progress));
}

export async function startDashboard(
  collector: TopologyCollector,
  view: ClusterView,
  secrets: SecretsSource,
  onEvent: (e: HaEvent) => void,
  listen: { host: string; port: number } = collector.topology.dashboard.listen,
): Promise<DashboardServer> {
  const d = new DashboardServer({
    collector,
    host: listen.host,
    port: listen.port,
    token: () => secrets.current.dashboardToken,
    runAction: collector.topology.dashboard.actions ? dashboardActions(view, onEvent) : undefined,
  });
  d.on('event', onEvent);
  await d.start();
  return d;
}
