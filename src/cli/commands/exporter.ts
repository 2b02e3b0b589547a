import { startClusterExporter } from '../../app/cluster-daemons.js';
import { makeCollector, startExporter } from '../../app/daemons.js';
import { startDaemonView } from '../../app/open.js';
import { RedisHaError } from '../../errors/errors.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';

export interface ExporterOptions extends TopologyOptions {
  listen?: string;
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
  const p = await startedTopology(o, ['sentinel', 'cluster']);
  const { t, dir } = p;
  if (!o.listen && !t.exporter.enabled)
    throw new RedisHaError('USAGE', `exporter.enabled is false in ${t.source}`, {
      hint: 'pass --listen HOST:PORT, or enable it in the topology',
    });
  const listen = o.listen ? parseListen(o.listen) : t.exporter.listen;
  const log = daemonLog(dir, ctx);
  if (t.kind === 'cluster') {
    const c = await startClusterExporter(p, listen, log);
    await serveUntilStopped(c.exporter, c.stop);
    return { text: 'exporter stopped', json: { stopped: true } };
  }
  const dv = await startDaemonView(p, { log });
  const ex = await startExporter(makeCollector(dv.view, log), dv.secrets, log, listen);
  await serveUntilStopped(ex, async () => {
    await ex.stop();
    dv.stop();
  });
  return { text: 'exporter stopped', json: { stopped: true } };
}
