import path from 'node:path';
import { withView } from '../../view/with-view.js';
import { RedisHaError } from '../../errors/errors.js';
import {
  restoreBackup,
  syncedReplica,
  takeBackup,
  verifyBackup,
  type Manifest,
} from '../../ops/backup.js';
import { backupName } from '../../state/backups.js';
import { takeRotatedBackup } from '../../ops/backup-schedule.js';
import type { PreparedState } from '../../state/prepare.js';
import { membersOn } from '../../topology/model.js';
import type { ClusterView } from '../../view/view.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export interface BackupOptions extends TopologyOptions {
  to?: string;
  keep?: string;
  ifLocalReplica?: boolean;
  host?: string;
}

/**
 * `backup [--to DIR]`: from a synced replica into DIR (default <backup dir>/<time>). With
 * `--keep N` DIR is a directory of backups: this one goes into DIR/<time>, then the oldest beyond
 * N are deleted. `--if-local-replica --host NAME` (host timers): only from that host's node, and
 * only while it is an in-sync replica; otherwise nothing is done (exit 0).
 */
export async function backupCommand(o: BackupOptions, ctx: CommandContext): Promise<CommandResult> {
  const p = await startedTopology(o);
  const keep = o.keep === undefined ? undefined : positiveInt(o.keep, '--keep');
  const root = p.t.backup?.dir ?? path.join(p.dir.root, 'backups');
  if (keep === undefined && !o.ifLocalReplica) {
    const to = path.resolve(o.to ?? path.join(root, backupName(new Date())));
    const m = await withView(p, (view) => takeBackup(p, view, to, ctx.progress));
    return described(to, m, []);
  }
  const into = path.resolve(o.to ?? root);
  return withView(p, async (view) => {
    const from = o.ifLocalReplica ? await localReplica(p, view, o.host) : undefined;
    if (from === null)
      return {
        text: `nothing to do: no in-sync replica on ${o.host ?? '?'}`,
        json: { skipped: true },
      };
    const r = await takeRotatedBackup(p, view, { root: into, keep, from }, ctx.progress);
    return described(r.dir, r.manifest, r.deleted);
  });
}

function described(dir: string, m: Manifest, deleted: string[]): CommandResult {
  const keys = Object.values(m.content).reduce((s, d) => s + d.keys, 0);
  const old = deleted.length > 0 ? `; deleted ${deleted.length} older` : '';
  return {
    text: `backup in ${dir}: ${keys} keys, ${m.bytes} bytes, from ${m.replica} (offset ${m.offset})${old}`,
    json: { dir, ...m, deleted },
  };
}

/** The node of `host` when it is an in-sync replica now; null otherwise. */
async function localReplica(
  p: PreparedState,
  view: ClusterView,
  host: string | undefined,
): Promise<string | null> {
  if (!host || !p.t.hosts.some((h) => h.name === host))
    throw new RedisHaError(
      'USAGE',
      `--if-local-replica needs --host NAME, a host of the topology`,
      {
        hint: `hosts: ${p.t.hosts.map((h) => h.name).join(', ')}`,
      },
    );
  await view.look();
  const node = membersOn(p.t, host).find((m) => m.kind === 'node' && syncedReplica(view, m.name));
  return node?.name ?? null;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new RedisHaError('USAGE', `${flag} expects a whole number of at least 1, not "${v}"`);
  return n;
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
