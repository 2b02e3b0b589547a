import { RedisHaError, errorMessage } from '../../errors/errors.js';
import { appendEvent, formatEvent, makeEvent, type HaEvent } from '../../events/events.js';
import { startProxyEndpoint } from '../../endpoint/run.js';
import { keepAliveOnStrayRejections, onShutdown } from '../../runtime/signals.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology, topologyFrom } from '../context.js';

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
  const log = (e: HaEvent): void => {
    appendEvent(dir.eventsFile, e);
    ctx.progress(formatEvent(e));
  };
  keepAliveOnStrayRejections((e) =>
    log(makeEvent('error', `internal error (still running): ${errorMessage(e)}`)),
  );
  const ep = await startProxyEndpoint(bound, secrets, log);
  const stopped = new Promise<void>((resolve) =>
    ep.proxy.on('status', (s) => s === 'stopped' && resolve()),
  );
  const unregister = onShutdown(() => ep.stop());
  await stopped;
  unregister();
  return { text: 'endpoint stopped', json: { stopped: true } };
}
