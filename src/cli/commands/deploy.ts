import { prepareState } from '../../state/prepare.js';
import { renderBundles } from '../../render/bundle/write-bundles.js';
import path from 'node:path';
import { RedisHaError } from '../../errors/errors.js';
import { deployOrder, plan, runDeploy, type SshOptions } from '../../deploy/deploy.js';
import { labKnownHosts, labSshKey, readLab, rerunInClientHost } from '../../lab/lab.js';
import { analyzeHealth } from '../../view/health.js';
import { withView } from '../../view/with-view.js';
import type { PreparedState } from '../../state/prepare.js';
import { designatedPrimary, findNode, type NodeSpec } from '../../topology/model.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';
import { labTopology } from './lab.js';

export interface DeployCliOptions extends TopologyOptions {
  dryRun?: boolean;
  lab?: boolean;
  identity?: string;
  knownHosts?: string;
}

/** Renders every host's bundle, then (unless --dry-run) pushes and installs them over SSH. */
export async function deployCommand(
  o: DeployCliOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const topology = o.lab ? labTopology(o) : topologyFrom(o);
  let ssh: SshOptions = { identity: o.identity, knownHosts: o.knownHosts };
  if (o.lab) {
    const lab = readLab(topology);
    if (!lab)
      throw new RedisHaError('NOT_RUNNING', 'no lab is up for this topology', {
        hint: 'create its hosts first: `redis-ha lab up --empty`',
      });
    // SSH reaches the lab's hosts from its client host only.
    if (process.env.REDIS_HA_LAB_CLIENT !== lab.id)
      return { exitCode: await rerunInClientHost(lab), printed: true };
    ssh = { identity: labSshKey(topology), knownHosts: labKnownHosts(topology) };
  }
  const prepared = await prepareState(topology);
  const { t, secrets } = prepared;
  const primary = await currentPrimary(prepared);
  const local = path.join(t.stateDir, 'deploy', 'bundles');
  const bundles = deployOrder(t, primary, renderBundles(prepared, primary, local));
  const p = plan(bundles, local, ssh);
  if (o.dryRun)
    return {
      text: [
        `deploy plan (${p.length} hosts, primary ${primary.name}; nothing was changed):`,
        ...p.flatMap((h) => [
          `${h.host} (${h.target}):`,
          ...h.files.map(
            (f) => `  file ${f.path} (${f.mode}${f.policy === 'replace' ? '' : `, ${f.policy}`})`,
          ),
          ...h.commands.map((c) => `  run  ${c}`),
        ]),
      ].join('\n'),
      json: { dryRun: true, primary: primary.name, hosts: p },
    };
  const outcomes = await runDeploy(t, secrets, bundles, local, ssh, ctx.progress);
  return {
    text: [
      `deployed ${outcomes.length} hosts; healthy:`,
      ...outcomes.map((x) => `  ${x.host}: ${x.status}`),
    ].join('\n'),
    json: { primary: primary.name, hosts: outcomes },
  };
}

/** The primary the sentinels agree on now (when anything runs), else the last known or designated. */
async function currentPrimary(p: PreparedState): Promise<NodeSpec<number>> {
  const { t, state } = p;
  try {
    const h = analyzeHealth(t, await withView(p, (v) => v.look(), { follow: false }));
    const running = h.primary ? findNode(t, h.primary) : undefined;
    if (running) return running;
  } catch {
    /* nothing reachable: a first deploy */
  }
  return (state.primary && findNode(t, state.primary)) || designatedPrimary(t);
}
