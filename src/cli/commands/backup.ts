import path from 'node:path';
import { withView } from '../../app/open.js';
import { restoreBackup, takeBackup, verifyBackup } from '../../ops/backup.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

/** `backup [--to DIR]`: from a synced replica; default DIR: <state>/backups/<timestamp>. */
export async function backupCommand(
  o: TopologyOptions & { to?: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const p = await startedTopology(o);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const to = path.resolve(o.to ?? path.join(p.dir.root, 'backups', stamp));
  const m = await withView(p, (view) => takeBackup(p, view, to, ctx.progress));
  const keys = Object.values(m.content).reduce((s, d) => s + d.keys, 0);
  return {
    text: `backup in ${to}: ${keys} keys, ${m.bytes} bytes, from ${m.replica} (offset ${m.offset})`,
    json: { dir: to, ...m },
  };
}

/** `restore DIR` into a stopped topology; `restore DIR --verify` once it is up again. */
export async function restoreCommand(
  dir: string,
  o: TopologyOptions & { verify?: boolean },
  ctx: CommandContext,
): Promise<CommandResult> {
  const p = await startedTopology(o);
  const from = path.resolve(dir);
  if (o.verify) {
    const started = Date.now();
    const v = await withView(p, (view) => verifyBackup(view, from));
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    return {
      text: v.ok
        ? `verified: ${v.node} holds the backup's keys and values (${took})`
        : `verification FAILED on ${v.node}:\n${v.mismatches.join('\n')}`,
      json: { ...v, ms: Date.now() - started },
      exitCode: v.ok ? 0 : 1,
    };
  }
  const m = await restoreBackup(p, from);
  ctx.progress(`placed ${m.rdb} (${m.bytes} bytes, taken ${m.time}) in every node's dir`);
  return {
    text: `restored; now run \`redis-ha up\`, then \`redis-ha restore ${dir} --verify\``,
    json: m,
  };
}
