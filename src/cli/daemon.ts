import { errorMessage } from '../errors/errors.js';
import { appendEvent, formatEvent, makeEvent, type HaEvent } from '../events/events.js';
import type { StateDir } from '../state/state-dir.js';
import { keepAliveOnStrayRejections, onShutdown } from '../util/signals.js';
import type { CommandContext } from './context.js';

/**
 * The log of a daemon run alone (proxy, exporter, dashboard, agent): the events file and a
 * progress line, plus `also`; a stray promise rejection is reported there instead of killing
 * the daemon.
 */
export function daemonLog(
  dir: StateDir,
  ctx: CommandContext,
  also?: (e: HaEvent) => void,
): (e: HaEvent) => void {
  const log = (e: HaEvent): void => {
    appendEvent(dir.eventsFile, e);
    ctx.progress(formatEvent(e));
    also?.(e);
  };
  keepAliveOnStrayRejections((e) =>
    log(makeEvent('error', `internal error (still running): ${errorMessage(e)}`)),
  );
  return log;
}

/** Resolves once the daemon has stopped; SIGINT/SIGTERM stop it through the one registry. */
export async function serveUntilStopped(
  daemon: { on(name: 'status', fn: (s: string) => void): unknown },
  stop: () => Promise<void>,
): Promise<void> {
  const stopped = new Promise<void>((resolve) =>
    daemon.on('status', (s) => s === 'stopped' && resolve()),
  );
  const unregister = onShutdown(stop);
  await stopped;
  unregister();
}
