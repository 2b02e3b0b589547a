import { ClusterMonitor } from '../cluster/monitor.js';
import type { HaEvent } from '../events/events.js';
import { clusterSource } from '../metrics/cluster-metrics.js';
import type { Exporter } from '../metrics/exporter.js';
import { LiveSecrets } from '../state/live-secrets.js';
import type { PreparedState } from '../state/prepare.js';
import { startExporter } from './daemons.js';

/**
 * `redis-ha exporter` for a cluster topology: the process's one cluster view (as the monitor
 * user, following `secrets rotate`) and /metrics over it; `stop` closes all three.
 */
export async function startClusterExporter(
  p: PreparedState,
  listen: { host: string; port: number },
  log: (e: HaEvent) => void,
): Promise<{ exporter: Exporter; stop: () => Promise<void> }> {
  const secrets = new LiveSecrets(p.t, p.dir, p.secrets);
  secrets.on('event', log);
  const monitor = new ClusterMonitor({ topology: p.t, secrets, nodeUser: 'monitor' });
  monitor.on('event', log);
  await monitor.start();
  secrets.start();
  const exporter = await startExporter(clusterSource(monitor, p.t), secrets, log, listen);
  return {
    exporter,
    stop: async () => {
      await exporter.stop();
      secrets.stop();
      monitor.stop();
    },
  };
}
