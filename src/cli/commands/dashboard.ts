import { RedisHaError } from '../../errors/errors.js';
import { makeEvent, type HaEvent } from '../../events/events.js';
import { DashboardServer, type DashboardAction } from '../../dashboard/server.js';
import type { TopologyCollector } from '../../metrics/collector.js';
import type { Secrets } from '../../secrets/store.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';
import { makeCollector, parseListen } from './exporter.js';
import { dashboardLine } from '../connection-help.js';
import { newLoginToken } from '../../dashboard/login.js';

export interface DashboardCommandOptions extends TopologyOptions {
  listen?: string;
}

/** Runs the dashboard's actions as the CLI would, their progress lines in the timeline. */
function actionRunner(
  o: TopologyOptions,
  onEvent: (e: HaEvent) => void,
): (a: DashboardAction) => Promise<string> {
  return async (a) => {
    const ctx: CommandContext = {
      json: false,
      progress: (line) => onEvent(makeEvent('progress', line, { member: 'dashboard' })),
    };
    const r =
      a === 'switchover'
        ? await (await import('./switchover.js')).switchoverCommand(o, ctx)
        : await (await import('./failover.js')).failoverCommand(o, ctx);
    return r.text ?? 'done';
  };
}

export async function startDashboard(
  collector: TopologyCollector,
  secrets: Secrets,
  o: TopologyOptions,
  onEvent: (e: HaEvent) => void,
  listen: { host: string; port: number } = collector.topology.dashboard.listen,
): Promise<DashboardServer> {
  const d = new DashboardServer({
    collector,
    host: listen.host,
    port: listen.port,
    token: () => secrets.dashboardToken,
    runAction: collector.topology.dashboard.actions ? actionRunner(o, onEvent) : undefined,
  });
  d.on('event', onEvent);
  await d.start();
  return d;
}

/** Runs only the dashboard (for servers managed elsewhere). */
export async function dashboardCommand(
  o: DashboardCommandOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { t, dir, secrets } = await startedTopology(o);
  if (!o.listen && !t.dashboard.enabled)
    throw new RedisHaError('USAGE', `dashboard.enabled is false in ${t.source}`, {
      hint: 'pass --listen HOST:PORT, or enable it in the topology',
    });
  const listen = o.listen ? parseListen(o.listen) : t.dashboard.listen;
  const timeline: HaEvent[] = [];
  let addEvent = (e: HaEvent): void => void timeline.push(e);
  const log = daemonLog(dir, ctx, (e) => addEvent(e));
  const d = await startDashboard(makeCollector(t, secrets, log), secrets, o, log, listen);
  // Whoever started it gets in without looking the token up (on loopback: a one-time link).
  const bound = { ...t, dashboard: { ...t.dashboard, listen: d.address } };
  ctx.progress(dashboardLine(bound, newLoginToken(secrets.dashboardToken)));
  // What was logged while it started goes in first.
  for (const e of timeline.splice(0)) d.addEvent(e);
  addEvent = (e) => d.addEvent(e);
  await serveUntilStopped(d, () => d.stop(), { t, dir, secrets, log });
  return { text: 'dashboard stopped', json: { stopped: true } };
}
