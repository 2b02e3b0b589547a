import { runSwitchover } from '../../sentinel/switchover.js';
import { formatDuration } from '../../util/units.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export async function switchoverCommand(
  o: TopologyOptions & { to?: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const { t: bound, secrets } = await startedTopology(o);
  const r = await runSwitchover(bound, secrets, (line) => ctx.progress(line), { to: o.to });
  return {
    text: `switchover done: ${r.from} -> ${r.to} in ${formatDuration(r.durationMs)}; writes paused ${formatDuration(r.pausedMs)}`,
    json: r,
  };
}
