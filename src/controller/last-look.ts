import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../backends/backend.js';
import type { BoundTopology, Member } from '../topology/model.js';
import { replicasAheadOfFiles } from './decisions.js';
import type { NodeOps } from './node-ops.js';

/** A replica at or past the dead primary's RDB, and the priority its INFO reports now. */
export interface AheadReplica {
  name: string;
  slavePriority: number;
}

/**
 * The dead primary had no replica confirmed synced: bounded (300 ms), INFO replication of every
 * running replica that the topology lets be promoted, against its RDB (decisions.ts
 * `replicasAheadOfFiles`). A replica the view lost sight of for a moment, or one just back from
 * its own restart (a rolling restart's) and not confirmed yet, is not thrown away for an older
 * file.
 */
export async function lastLook(
  o: { topology: BoundTopology; backend: Backend; nodes: NodeOps },
  dead: Member<number>,
): Promise<AheadReplica[]> {
  const t = o.topology;
  const saved = o.backend.savedReplication?.(dead.name);
  if (t.persistence.mode !== 'rdb') return [];
  const replicas = t.nodes.filter(
    (n) => n.name !== dead.name && n.priority > 0 && o.backend.alive(n.name) !== false,
  );
  const infos = await Promise.all(
    replicas.map(async (n) => ({
      name: n.name,
      info: await Promise.race([
        o.nodes.replication(n).catch(() => undefined),
        sleep(300).then(() => undefined),
      ]),
    })),
  );
  const ahead = new Set(replicasAheadOfFiles(t.persistence.mode, saved, dead, infos));
  return infos
    .filter((r) => ahead.has(r.name))
    .map((r) => ({ name: r.name, slavePriority: Number(r.info?.['slave_priority'] ?? 0) }));
}

/**
 * Of those, the ones Sentinel may promote: a replica this process runs once raised to its
 * configured priority now (`raise`; Sentinel re-reads it within a second while the primary is
 * down), another host's only if its own agent raised it already.
 */
export async function promotableAhead(
  ahead: readonly AheadReplica[],
  managed: (name: string) => boolean,
  raise: (name: string) => Promise<void>,
): Promise<string[]> {
  const ok: string[] = [];
  for (const a of ahead) {
    if (managed(a.name))
      await raise(a.name).then(
        () => ok.push(a.name),
        () => undefined,
      );
    else if (a.slavePriority > 0) ok.push(a.name);
  }
  return ok;
}
