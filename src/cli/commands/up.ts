import { spawn } from 'node:child_process';
import { openSync, closeSync, statSync, existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisHaError, errorMessage } from '../../errors/errors.js';
import { appendEvent, formatEvent, makeEvent, type HaEvent } from '../../events/events.js';
import { startProxyEndpoint } from '../../endpoint/run.js';
import { startDashboard } from './dashboard.js';
import { makeCollector, startExporter } from './exporter.js';
import { SecretsReloader } from '../../secrets/reload.js';
import { runningSupervisor } from '../../runtime/lock.js';
import { isAlive } from '../../runtime/pids.js';
import { keepAliveOnStrayRejections, onShutdown } from '../../runtime/signals.js';
import { StateDir } from '../../runtime/state-dir.js';
import { Supervisor } from '../../runtime/supervisor.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology, topologyFrom } from '../context.js';
import { connectionHelp } from '../connection-help.js';
import { newLoginToken } from '../../dashboard/login.js';

export interface UpOptions extends TopologyOptions {
  detach?: boolean;
  /** Internal: the detached supervisor process itself. */
  supervise?: boolean;
}

export async function upCommand(o: UpOptions, ctx: CommandContext): Promise<CommandResult> {
  const t = topologyFrom(o);
  const dir = new StateDir(t.stateDir);
  const running = runningSupervisor(dir);
  if (running !== undefined) {
    throw new RedisHaError(
      'ALREADY_RUNNING',
      `this topology is already running (supervisor pid ${running}, state dir ${dir.root})`,
      {
        hint: 'see `redis-ha status`; stop it with `redis-ha down`',
      },
    );
  }
  if (o.detach) return detach(o, dir, ctx);

  const sup = new Supervisor({ topology: t });
  let onTimeline: ((e: HaEvent) => void) | undefined;
  if (!o.supervise) sup.on('event', (e) => ctx.progress(formatEvent(e)));
  // Supervisor decisions join the dashboard's timeline once it runs.
  sup.on('event', (e) => onTimeline?.(e));
  const stopped = new Promise<void>((resolve) =>
    sup.on('status', (s) => (s === 'stopped' || s === 'failed') && resolve()),
  );
  const unregister = onShutdown(() => sup.stop());
  const log = (e: HaEvent): void => {
    appendEvent(dir.eventsFile, e);
    onTimeline?.(e);
    if (!o.supervise) ctx.progress(formatEvent(e));
  };
  keepAliveOnStrayRejections((e) =>
    log(makeEvent('error', `internal error (still running): ${errorMessage(e)}`)),
  );
  const unregisterDaemons: (() => void)[] = [];
  const daemons: { stop: () => Promise<void> }[] = [];
  try {
    await sup.start();
    const secrets = sup.secrets;
    const reloader = new SecretsReloader(sup.topology, dir, secrets);
    reloader.on('event', log);
    reloader.start();
    daemons.push({ stop: () => Promise.resolve(reloader.stop()) });
    const collector = makeCollector(sup.topology, secrets, log);
    if (sup.topology.exporter.enabled) daemons.push(await startExporter(collector, secrets, log));
    if (sup.topology.dashboard.enabled) {
      const d = await startDashboard(collector, secrets, o, log);
      onTimeline = (e) => d.addEvent(e);
      daemons.push(d);
    }
    // Started last, so it stops first: clients leave before the servers go.
    if (sup.topology.endpoint.mode === 'proxy')
      daemons.push(await startProxyEndpoint(sup.topology, secrets, log));
    for (const d of daemons) unregisterDaemons.push(onShutdown(() => d.stop()));
  } catch (e) {
    log(makeEvent('error', `startup failed: ${errorMessage(e)}`));
    for (const d of daemons.reverse()) await d.stop();
    await sup.stop();
    unregister();
    for (const u of unregisterDaemons) u();
    throw e;
  }
  log(makeEvent('ready', 'ready'));
  if (!o.supervise)
    ctx.progress(
      `${connectionHelp(sup.topology, sup.primary, dir, { dashboardLogin: newLoginToken(sup.secrets.dashboardToken) })}\nrunning in the foreground: Ctrl-C stops everything (or \`redis-ha down\` from another shell)`,
    );
  await stopped;
  unregister();
  for (const u of unregisterDaemons) u();
  return { text: 'all processes stopped', json: { stopped: true } };
}

/** Starts a detached supervisor and follows its events until it is healthy (or fails). */
async function detach(o: UpOptions, dir: StateDir, ctx: CommandContext): Promise<CommandResult> {
  dir.ensure();
  const from = existsSync(dir.eventsFile) ? statSync(dir.eventsFile).size : 0;
  const entry = process.argv[1];
  if (!entry) throw new RedisHaError('INTERNAL', 'cannot locate the redis-ha entry point');
  const args = [entry, 'up', '--supervise', '--state-dir', dir.root];
  if (o.file) args.push('-f', o.file);
  const log = openSync(dir.supervisorLog, 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid ?? 0;
  let offset = from;
  let carry = '';
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (existsSync(dir.eventsFile)) {
      const buf = readFileSync(dir.eventsFile);
      const chunk = carry + buf.subarray(offset).toString('utf8');
      offset = buf.length;
      const parts = chunk.split('\n');
      carry = parts.pop() ?? '';
      for (const line of parts) {
        if (!line) continue;
        const e = JSON.parse(line) as HaEvent;
        ctx.progress(formatEvent(e));
        if (e.kind === 'ready') {
          const { t: bound, state, secrets } = await startedTopology(o);
          return {
            text: `${connectionHelp(bound, state.primary ?? '?', dir, { dashboardLogin: newLoginToken(secrets.dashboardToken) })}\nsupervisor running in the background (pid ${pid}); stop with \`redis-ha down\``,
            json: { pid, primary: state.primary, stateDir: dir.root },
          };
        }
        if (e.kind === 'error' && e.message.startsWith('startup failed')) {
          throw new RedisHaError('PROCESS_FAILED', e.message.replace(/^startup failed: /, ''), {
            hint: `see ${dir.supervisorLog} and \`redis-ha logs\``,
          });
        }
      }
    }
    if (!isAlive(pid))
      throw new RedisHaError(
        'PROCESS_FAILED',
        'the supervisor exited before the topology became healthy',
        { hint: `see ${dir.supervisorLog}` },
      );
    if (Date.now() > deadline)
      throw new RedisHaError(
        'TIMEOUT',
        'the detached supervisor did not report healthy within 180s',
        { hint: 'see `redis-ha status`; stop it with `redis-ha down`' },
      );
    await sleep(50);
  }
}
