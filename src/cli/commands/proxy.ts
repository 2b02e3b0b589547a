import { RedisHaError } from '../../errors/errors.js';
import { startProxyEndpoint } from '../../endpoint/run.js';
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
  const { t: bound, dir, secrets, state } = await startedTopology(o);
  dir.writeState(state);
  const log = daemonLog(dir, ctx);
  const ep = await startProxyEndpoint(bound, secrets, log);
  await serveUntilStopped(ep.proxy, () => ep.stop(), { t: bound, dir, secrets, log });
  return { text: 'endpoint stopped', json: { stopped: true } };
}
