import { withView } from '../../view/with-view.js';
import { describeSwitchover, runSwitchover } from '../../ops/switchover.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export async function switchoverCommand(
  o: TopologyOptions & { to?: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const r = await withView(await startedTopology(o), (view) =>
    runSwitchover(view, (line) => ctx.progress(line), { to: o.to }),
  );
  return { text: describeSwitchover(r), json: r };
}
