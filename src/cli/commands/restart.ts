import { withView } from '../../view/with-view.js';
import { RedisHaError } from '../../errors/errors.js';
import { runRolling } from '../../ops/rolling.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

/** `restart --rolling`: every member, one at a time, with a loss-free switchover for the primary. */
export async function restartCommand(
  o: TopologyOptions & { rolling?: boolean },
  ctx: CommandContext,
): Promise<CommandResult> {
  if (!o.rolling)
    throw new RedisHaError('USAGE', 'restart needs --rolling (the only kind so far)', {
      hint: '`redis-ha restart --rolling`; to stop everything: `redis-ha down`',
    });
  const p = await startedTopology(o);
  const r = await withView(p, (view) => runRolling(p, view, (line) => ctx.progress(line)));
  const sw = r.switchover
    ? `; switchover ${r.switchover.from} -> ${r.switchover.to}, writes paused ${r.switchover.pausedMs}ms`
    : '';
  return {
    text: `rolling restart done: ${r.restarted.length} member(s) restarted (redis-server ${r.versions.server})${sw}`,
    json: r,
  };
}
