import { startDaemonView } from '../../app/open.js';
import { startProxyEndpoint } from '../../endpoint/run.js';
import { RedisHaError } from '../../errors/errors.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology, topologyFrom } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';

/** Runs only the endpoint (for a deployment where the servers are managed elsewhere). */
export async function proxyCommand(
  o: TopologyOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const t = topologyFrom(o);
  if (t.endpoint.mode !== 'proxy') {
    throw new RedisHaError('USAGE', `endpoint.mode is "${t.endpoint.mode}" in ${t.source}`, {
      hint: 'set `endpoint: { mode: proxy, listen: "HOST:PORT" }` in the topology',
    });
  }
  const p = await startedTopology(o);
  const log = daemonLog(p.dir, ctx);
  const dv = await startDaemonView(p, { log });
  const ep = await startProxyEndpoint(dv.view, dv.secrets, log);
  await serveUntilStopped(ep.proxy, async () => {
    await ep.stop();
    dv.stop();
  });
  return { text: 'endpoint stopped', json: { stopped: true } };
}
