import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { LocalClusterSystem } from '../../app/cluster-system.js';
import { LocalSystem } from '../../app/local-system.js';
import { RedisHaError, errorMessage, isRedisHaError, type ErrorCode } from '../../errors/errors.js';
import { formatEvent, makeEvent, type HaEvent } from '../../events/events.js';
import { runningSupervisor } from '../../state/lock.js';
import { StateDir } from '../../state/state-dir.js';
import { keepAliveOnStrayRejections, onShutdown } from '../../util/signals.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';
import { clusterConnectionHelp } from '../cluster-up.js';
import { connectionHelp } from '../connection-help.js';
import type { BoundTopology } from '../../topology/model.js';
import { newLoginToken } from '../../dashboard/login.js';

export interface UpOptions extends TopologyOptions {
  detach?: boolean;
  /** Internal: the detached supervisor process itself. */
  supervise?: boolean;
}

/** What a detached supervisor tells the `up --detach` that started it (over an IPC channel). */
export type SupervisorMessage =
  | { type: 'event'; event: HaEvent }
  | { type: 'ready'; primary: string }
  | { type: 'failed'; code: ErrorCode; message: string; hint?: string | undefined };

export async function upCommand(o: UpOptions, ctx: CommandContext): Promise<CommandResult> {
  const t = topologyFrom(o, ['sentinel', 'cluster']);
  const dir = new StateDir(t.stateDir);
  const running = runningSupervisor(dir);
  if (running !== undefined) {
    throw new RedisHaError(
      'ALREADY_RUNNING',
      `this topology is already running (supervisor pid ${running}, state dir ${dir.root})`,
      { hint: 'see `redis-ha status`; stop it with `redis-ha down`' },
    );
  }
  if (o.detach) return detach(o, dir, ctx);
  // The detached supervisor reports to the `up --detach` that started it, then runs on alone.
  const send =
    o.supervise && process.send
      ? (m: SupervisorMessage): void => void (process.connected && process.send?.(m))
      : undefined;
  const sys = t.kind === 'cluster' ? new LocalClusterSystem(t) : new LocalSystem(t);
  // Once ready, the detached supervisor's events go to the events file only.
  sys.on('event', (e) => (send ? send({ type: 'event', event: e }) : ctx.progress(formatEvent(e))));
  const stopped = new Promise<void>((resolve) =>
    sys.on('status', (s) => (s === 'stopped' || s === 'failed') && resolve()),
  );
  const unregister = onShutdown(() => sys.stop());
  keepAliveOnStrayRejections((e) =>
    sys.report(makeEvent('error', `internal error (still running): ${errorMessage(e)}`)),
  );
  try {
    await sys.start();
  } catch (e) {
    unregister();
    if (send) {
      const err = isRedisHaError(e) ? e : new RedisHaError('PROCESS_FAILED', errorMessage(e));
      send({ type: 'failed', code: err.code, message: err.message, hint: err.hint });
    }
    throw e;
  }
  // SIGUSR1: `apply` recorded other members; one reconfiguration at a time.
  let reconfiguring = Promise.resolve();
  const onUsr1 = (): void => {
    if (!(sys instanceof LocalSystem)) return;
    reconfiguring = reconfiguring
      .then(() => sys.reconfigure())
      .then(
        () => undefined,
        (e: unknown) => sys.report(makeEvent('error', `reconfigure failed: ${errorMessage(e)}`)),
      );
  };
  process.on('SIGUSR1', onUsr1);
  if (send) {
    send({ type: 'ready', primary: sys.primary ?? '?' });
    process.disconnect?.();
  } else {
    const token = sys instanceof LocalSystem ? sys.secrets.current.dashboardToken : '';
    const help = howToConnect(sys.topology, sys.primary ?? '?', dir, token);
    ctx.progress(
      `${help}\nrunning in the foreground: Ctrl-C stops everything (or \`redis-ha down\` from another shell)`,
    );
  }
  await stopped;
  process.off('SIGUSR1', onUsr1);
  unregister();
  return { text: 'all processes stopped', json: { stopped: true } };
}

/** Starts a detached supervisor and follows what it reports until it is healthy (or fails). */
async function detach(o: UpOptions, dir: StateDir, ctx: CommandContext): Promise<CommandResult> {
  dir.ensure();
  const entry = process.argv[1];
  if (!entry) throw new RedisHaError('INTERNAL', 'cannot locate the redis-ha entry point');
  const args = [entry, 'up', '--supervise', '--state-dir', dir.root];
  if (o.file) args.push('-f', o.file);
  const log = openSync(dir.supervisorLog, 'a', 0o600);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const pid = child.pid ?? 0;
  const primary = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new RedisHaError('TIMEOUT', 'the detached supervisor did not report healthy within 180s', {
          hint: 'see `redis-ha status`; stop it with `redis-ha down`',
        }),
      );
    }, 180_000);
    const done = (): void => {
      clearTimeout(timer);
      child.removeAllListeners();
      child.disconnect?.();
      child.unref();
    };
    child.on('message', (raw) => {
      const m = raw as SupervisorMessage;
      if (m.type === 'event') return ctx.progress(formatEvent(m.event));
      done();
      if (m.type === 'ready') return resolve(m.primary);
      reject(new RedisHaError(m.code, m.message, { hint: m.hint ?? `see ${dir.supervisorLog}` }));
    });
    child.on('exit', () => {
      done();
      reject(
        new RedisHaError(
          'PROCESS_FAILED',
          'the supervisor exited before the topology became healthy',
          {
            hint: `see ${dir.supervisorLog}`,
          },
        ),
      );
    });
  });
  const { openState } = await import('../../state/prepare.js');
  const { t, secrets } = await openState(topologyFrom(o, ['sentinel', 'cluster']));
  return {
    text: `${howToConnect(t, primary, dir, secrets.dashboardToken)}\nsupervisor running in the background (pid ${pid}); stop with \`redis-ha down\``,
    json: { pid, primary, stateDir: dir.root },
  };
}

/** The lines `up` ends with: where applications connect, for a Sentinel topology or a cluster. */
function howToConnect(t: BoundTopology, primary: string, dir: StateDir, token: string): string {
  if (t.kind === 'cluster') return clusterConnectionHelp(t, dir);
  return connectionHelp(t, primary, dir, { dashboardLogin: newLoginToken(token) });
}
