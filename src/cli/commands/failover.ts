import { runFailover } from '../../sentinel/failover.js';
import { formatDuration } from '../../util/units.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export async function failoverCommand(
  o: TopologyOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { t: bound, secrets } = await startedTopology(o);
  const r = await runFailover(bound, secrets, (line) => ctx.progress(line));
  return {
    text: `failover done: ${r.from} -> ${r.to} in ${formatDuration(r.durationMs)}`,
    json: r,
  };
}
