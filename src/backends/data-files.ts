import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readSavedReplication, type SavedReplication } from './rdb-header.js';

/** What Redis persists in a node's dir (redis.conf: dbfilename, the AOF's appenddirname). */
const DATA = ['dump.rdb', 'appendonlydir'];

/**
 * The replication history a node would restart from: its dump.rdb's, when Redis would load that
 * file (no AOF beside it). A node restarted as a replica with it asks its primary for the writes
 * since (PSYNC), a partial resync instead of the whole dataset.
 */
export function savedReplication(dir: string): SavedReplication | undefined {
  if (existsSync(path.join(dir, 'appendonlydir'))) return undefined;
  return readSavedReplication(path.join(dir, 'dump.rdb'));
}

/**
 * A node rejoining as the replica of the node promoted in its place, when its files cannot
 * resync partially, is resynced whole: they are superseded (the promoted node had synced
 * everything it acknowledged). Set them aside
 * (`*.superseded`, one generation kept) so it starts empty: Redis then loads the new primary's
 * stream straight from the socket (repl-diskless-load on-empty-db) instead of first loading its
 * old dataset and then writing the new one to disk. Returns what was set aside.
 */
export function setDataAside(dir: string): string[] {
  const moved: string[] = [];
  for (const name of DATA) {
    const from = path.join(dir, name);
    if (!existsSync(from)) continue;
    const to = `${from}.superseded`;
    rmSync(to, { recursive: true, force: true });
    renameSync(from, to);
    moved.push(name);
  }
  return moved;
}
