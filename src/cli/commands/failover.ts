import { withView } from '../../view/with-view.js';
import { describeFailover, runFailover } from '../../ops/failover.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export async function failoverCommand(
  o: TopologyOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const r = await withView(await startedTopology(o), (view) =>
    runFailover(view, (line) => ctx.progress(line)),
  );
  return { text: describeFailover(r), json: r };
}
