import { setTimeout as sleep } from 'node:timers/promises';
import { runningSupervisor } from '../../state/lock.js';
import { sweepOrphans } from '../../backends/orphans.js';
import { isAlive } from '../../util/pids.js';
import { StateDir } from '../../state/state-dir.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

/** Stops the supervisor by PID (it stops its children in order), then any leftover child by PID. */
export async function downCommand(o: TopologyOptions, ctx: CommandContext): Promise<CommandResult> {
  const t = topologyFrom(o, ['sentinel', 'cluster']);
  const dir = new StateDir(t.stateDir);
  const pid = runningSupervisor(dir);
  let supervisor: 'stopped' | 'killed' | 'none' = 'none';
  if (pid !== undefined) {
    ctx.progress(`stopping supervisor (pid ${pid}) ...`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + t.supervisor.stopTimeoutMs * 3 + 10_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) {
      ctx.progress(`supervisor did not exit in time; killing it`);
      process.kill(pid, 'SIGKILL');
      supervisor = 'killed';
    } else supervisor = 'stopped';
  }
  const swept = await sweepOrphans(dir, t.supervisor.stopTimeoutMs);
  for (const s of swept) ctx.progress(`stopped leftover ${s.name} (pid ${s.pid}, ${s.result})`);
  const text =
    supervisor === 'none' && swept.length === 0
      ? `nothing was running from ${dir.root}`
      : `stopped (state and data kept in ${dir.root})`;
  return { text, json: { supervisor, pid: pid ?? null, leftovers: swept } };
}
