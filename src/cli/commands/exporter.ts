import { credentials } from '../../secrets/credentials.js';
import { RedisHaError } from '../../errors/errors.js';
import type { HaEvent } from '../../events/events.js';
import { TopologyCollector } from '../../metrics/collector.js';
import { Exporter } from '../../metrics/exporter.js';
import type { BoundTopology } from '../../topology/model.js';
import type { Secrets } from '../../secrets/store.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';

export interface ExporterOptions extends TopologyOptions {
  listen?: string;
}

/** One collector for the daemons of a process (exporter, dashboard); its events go to onEvent. */
export function makeCollector(
  t: BoundTopology,
  secrets: Secrets,
  onEvent: (e: HaEvent) => void,
): TopologyCollector {
  const c = new TopologyCollector(t, secrets, t.exporter.timeoutMs);
  c.on('event', onEvent);
  return c;
}

/** Starts the exporter at the topology's `exporter.listen` (or `listen`), logging to onEvent. */
export async function startExporter(
  collector: TopologyCollector,
  secrets: Secrets,
  onEvent: (e: HaEvent) => void,
  listen: { host: string; port: number } = collector.topology.exporter.listen,
): Promise<Exporter> {
  const ex = new Exporter({
    collector,
    host: listen.host,
    port: listen.port,
    timeoutMs: collector.topology.exporter.timeoutMs,
    // Scrapes authenticate as the monitor user (HTTP Basic), like every other read-only client.
    auth: () => credentials(collector.topology, secrets, 'monitor'),
  });
  ex.on('event', onEvent);
  await ex.start();
  return ex;
}

export function parseListen(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new RedisHaError('USAGE', `--listen ${s}: expected HOST:PORT`, {
      hint: 'for example --listen 127.0.0.1:9121',
    });
  return { host: s.slice(0, i), port };
}

/** Runs only the Prometheus endpoint (for servers managed elsewhere). */
export async function exporterCommand(
  o: ExporterOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { t, dir, secrets } = await startedTopology(o);
  if (!o.listen && !t.exporter.enabled)
    throw new RedisHaError('USAGE', `exporter.enabled is false in ${t.source}`, {
      hint: 'pass --listen HOST:PORT, or enable it in the topology',
    });
  const listen = o.listen ? parseListen(o.listen) : t.exporter.listen;
  const log = daemonLog(dir, ctx);
  const ex = await startExporter(makeCollector(t, secrets, log), secrets, log, listen);
  await serveUntilStopped(ex, () => ex.stop(), { t, dir, secrets, log });
  return { text: 'exporter stopped', json: { stopped: true } };
}
