import { rmSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HostAgent } from '../../app/agent.js';
import { RedisHaError } from '../../errors/errors.js';
import { RECONFIG_FLAG } from '../../render/bundle/paths.js';
import { LiveSecrets } from '../../state/live-secrets.js';
import { membersOn } from '../../topology/model.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { daemonLog, serveUntilStopped } from '../daemon.js';

export interface AgentCommandOptions extends TopologyOptions {
  host: string;
}

/** Runs the agent of one data host until SIGINT/SIGTERM (see HostAgent). */
export async function agentCommand(
  o: AgentCommandOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { t, dir, secrets } = await startedTopology(o);
  const hosts = t.hosts.map((h) => h.name);
  if (!hosts.includes(o.host))
    throw new RedisHaError('USAGE', `no host "${o.host}" in ${t.source}`, {
      hint: `hosts: ${hosts.join(', ')}`,
    });
  if (!membersOn(t, o.host).some((m) => m.kind === 'node'))
    throw new RedisHaError('USAGE', `host "${o.host}" runs no node: it needs no agent`);
  const log = daemonLog(dir, ctx);
  const live = new LiveSecrets(t, dir, secrets);
  live.on('event', log);
  const agent = new HostAgent({ topology: t, secrets: live, dir, host: o.host });
  agent.on('event', log);
  dir.ensure();
  // SIGUSR1 to this PID: look now.
  const pidFile = dir.childPidFile('agent');
  writeFileSync(pidFile, `${process.pid}\n`);
  const onUsr1 = (): void => agent.reconcile();
  process.on('SIGUSR1', onUsr1);
  // Sentinel's client-reconfig-script touches a flag file (it runs as another user: no signal).
  const flag = path.basename(RECONFIG_FLAG);
  const watcher = watch(dir.runDir, (_e, f) => f === flag && agent.reconcile());
  watcher.on('error', () => undefined);
  try {
    await agent.start();
    live.start();
    await serveUntilStopped(agent, async () => {
      live.stop();
      await agent.stop();
    });
  } finally {
    process.off('SIGUSR1', onUsr1);
    watcher.close();
    rmSync(pidFile, { force: true });
  }
  return { text: 'agent stopped', json: { stopped: true } };
}
