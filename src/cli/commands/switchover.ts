import { withView } from '../../view/with-view.js';
import { describeSwitchover, runSwitchover } from '../../ops/switchover.js';
import { describeClusterSwitchover, runClusterSwitchover } from '../../ops/cluster-switchover.js';
import { RedisHaError } from '../../errors/errors.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export async function switchoverCommand(
  o: TopologyOptions & { to?: string; shard?: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const p = await startedTopology(o, ['sentinel', 'cluster']);
  if (p.t.kind === 'cluster') {
    if (!o.shard)
      throw new RedisHaError('USAGE', 'a cluster topology: which shard? (--shard S)', {
        hint: `shards: ${(p.t.cluster?.shards ?? []).map((s) => s.name).join(', ')}`,
      });
    const r = await runClusterSwitchover(p.t, p.secrets, { shard: o.shard, to: o.to }, (line) =>
      ctx.progress(line),
    );
    return { text: describeClusterSwitchover(r), json: r };
  }
  if (o.shard)
    throw new RedisHaError('USAGE', '--shard is for a cluster topology', {
      hint: 'a Sentinel topology has one primary: `redis-ha switchover [--to NODE]`',
    });
  const r = await withView(p, (view) =>
    runSwitchover(view, (line) => ctx.progress(line), { to: o.to }),
  );
  return { text: describeSwitchover(r), json: r };
}
