import { RedisHaError } from '../../errors/errors.js';
import { bindPorts } from '../../runtime/ports.js';
import { StateDir } from '../../runtime/state-dir.js';
import { readSecrets } from '../../secrets/store.js';
import { runSwitchover } from '../../sentinel/switchover.js';
import { formatDuration } from '../../util/units.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

export async function switchoverCommand(
  o: TopologyOptions & { to?: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const t = topologyFrom(o);
  const dir = new StateDir(t.stateDir);
  const secrets = readSecrets(dir);
  if (!secrets)
    throw new RedisHaError('NOT_RUNNING', `nothing has been started from ${dir.root}`, {
      hint: 'start it with `redis-ha up`',
    });
  const bound = await bindPorts(t, dir.readState(), false);
  const r = await runSwitchover(bound, secrets, (line) => ctx.progress(line), { to: o.to });
  return {
    text: `switchover done: ${r.from} -> ${r.to} in ${formatDuration(r.durationMs)}; writes paused ${formatDuration(r.pausedMs)}`,
    json: r,
  };
}
