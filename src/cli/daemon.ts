import { errorMessage } from '../errors/errors.js';
import { appendEvent, formatEvent, makeEvent, type HaEvent } from '../events/events.js';
import { keepAliveOnStrayRejections, onShutdown } from '../runtime/signals.js';
import type { StateDir } from '../runtime/state-dir.js';
import type { CommandContext } from './context.js';
import { SecretsReloader } from '../secrets/reload.js';
import type { Secrets } from '../secrets/store.js';
import type { Topology } from '../topology/model.js';

/**
 * The log of a daemon run alone (proxy, exporter, dashboard): the events file and a progress
 * line, plus `also`; a stray promise rejection is reported there instead of killing the daemon.
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

/** What a daemon needs to follow `secrets rotate` while it serves. */
export interface SecretsWatch {
  t: Topology;
  dir: StateDir;
  secrets: Secrets;
  log: (e: HaEvent) => void;
}

/**
 * Resolves once the daemon has stopped; SIGINT/SIGTERM stop it through the one registry. Until
 * then its secrets follow `secrets rotate` (see SecretsReloader).
 */
export async function serveUntilStopped(
  daemon: { on(name: 'status', fn: (s: string) => void): unknown },
  stop: () => Promise<void>,
  watch: SecretsWatch,
): Promise<void> {
  const stopped = new Promise<void>((resolve) =>
    daemon.on('status', (s) => s === 'stopped' && resolve()),
  );
  const reloader = new SecretsReloader(watch.t, watch.dir, watch.secrets);
  reloader.on('event', watch.log);
  reloader.start();
  const unregister = onShutdown(async () => {
    reloader.stop();
    await stop();
  });
  await stopped;
  reloader.stop();
  unregister();
}
