import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { nodeUnitName } from '../../render/bundle/units.js';
import { RECONFIG_FLAG } from '../../render/bundle/paths.js';
import path from 'node:path';
import { HostAgent } from '../../agent/host-agent.js';
import { VipAddress } from '../../agent/vip-address.js';
import { RedisHaError } from '../../errors/errors.js';
import { membersOn, type NodeSpec } from '../../topology/model.js';
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
  const vip =
    t.endpoint.mode === 'vip' && t.endpoint.address
      ? new VipAddress(t.endpoint.address, t.endpoint.prefix ?? 32, t.endpoint.interface)
      : undefined;
  const log = daemonLog(dir, ctx);
  const agent = new HostAgent({
    topology: t,
    secrets,
    host: o.host,
    vip,
    rejoin: (node, primary) => restartAsReplica(dir.configFile('node', node.name), node, primary),
  });
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
    await serveUntilStopped(agent, () => agent.stop(), { t, dir, secrets, log });
  } finally {
    process.off('SIGUSR1', onUsr1);
    watcher.close();
    rmSync(pidFile, { force: true });
  }
  return { text: 'agent stopped', json: { stopped: true } };
}

/**
 * Points the node's live config at the new primary, at replica-priority 0 until it has synced
 * again (the agent raises it), and has systemd start it now instead of after RestartSec.
 */
async function restartAsReplica(
  conf: string,
  node: NodeSpec<number>,
  primary: NodeSpec<number>,
): Promise<void> {
  if (existsSync(conf)) {
    const lines = readFileSync(conf, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(replicaof|slaveof|replica-priority|slave-priority)\s/i.test(l));
    lines.push(`replicaof ${primary.host} ${primary.port}`, 'replica-priority 0', '');
    writeFileSync(conf, lines.join('\n').replace(/\n{3,}$/, '\n'));
  }
  await new Promise<void>((resolve) => {
    execFile('systemctl', ['restart', nodeUnitName(node)], { timeout: 30_000 }, () => resolve());
  });
}
