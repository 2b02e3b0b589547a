import { makeCollector, startDashboard } from '../../app/daemons.js';
import { startDaemonView } from '../../app/open.js';
import { RedisHaError } from '../../errors/errors.js';
import type { HaEvent } from '../../events/events.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';
import { parseListen } from './exporter.js';
import { dashboardLine } from '../connection-help.js';
import { newLoginToken } from '../../dashboard/login.js';

export interface DashboardCommandOptions extends TopologyOptions {
  listen?: string;
}

/** Runs only the dashboard (for servers managed elsewhere). */
export async function dashboardCommand(
  o: DashboardCommandOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const p = await startedTopology(o);
  const { t, dir } = p;
  if (!o.listen && !t.dashboard.enabled)
    throw new RedisHaError('USAGE', `dashboard.enabled is false in ${t.source}`, {
      hint: 'pass --listen HOST:PORT, or enable it in the topology',
    });
  const listen = o.listen ? parseListen(o.listen) : t.dashboard.listen;
  const timeline: HaEvent[] = [];
  let addEvent = (e: HaEvent): void => void timeline.push(e);
  const log = daemonLog(dir, ctx, (e) => addEvent(e));
  // Its actions (switchover, failover) act on nodes: admin only when they are enabled.
  const dv = await startDaemonView(p, { log, nodeUser: t.dashboard.actions ? 'admin' : 'monitor' });
  const d = await startDashboard(makeCollector(dv.view, log), dv.view, dv.secrets, log, listen);
  // Whoever started it gets in without looking the token up (on loopback: a one-time link).
  const bound = { ...t, dashboard: { ...t.dashboard, listen: d.address } };
  ctx.progress(dashboardLine(bound, newLoginToken(p.secrets.dashboardToken)));
  // What was logged while it started goes in first.
  for (const e of timeline.splice(0)) d.addEvent(e);
  addEvent = (e) => d.addEvent(e);
  await serveUntilStopped(d, async () => {
    await d.stop();
    dv.stop();
  });
  return { text: 'dashboard stopped', json: { stopped: true } };
}
