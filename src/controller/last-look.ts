import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../backends/backend.js';
import type { BoundTopology, Member } from '../topology/model.js';
import { replicasAheadOfFiles } from './decisions.js';
import type { NodeOps } from './node-ops.js';

/**
 * The dead primary had no replica confirmed synced: bounded (300 ms), INFO replication of the
 * replicas made promotable since their start, against its RDB (decisions.ts
 * `replicasAheadOfFiles`). A replica the view lost sight of for a moment is not thrown away
 * for an older file.
 */
export async function lastLook(
  o: { topology: BoundTopology; backend: Backend; nodes: NodeOps },
  dead: Member<number>,
  promotable: ReadonlySet<string>,
): Promise<string[]> {
  const t = o.topology;
  const saved = o.backend.savedReplication?.(dead.name);
  if (t.persistence.mode !== 'rdb') return [];
  const replicas = t.nodes.filter(
    (n) => n.name !== dead.name && promotable.has(n.name) && o.backend.alive(n.name) !== false,
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
  return replicasAheadOfFiles(t.persistence.mode, saved, dead, infos);
}
