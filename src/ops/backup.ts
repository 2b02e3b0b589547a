import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { withClient } from '../redis/client.js';
import { num, parseInfo } from '../redis/info.js';
import { setDataAside } from '../backends/data-files.js';
import { findRedis } from '../backends/redis-bin.js';
import { runningSupervisor } from '../state/lock.js';
import type { PreparedState } from '../state/prepare.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import { contentDigest, digestOfRdb, type Content } from './backup-digest.js';

export interface Manifest {
  version: 1;
  time: string;
  topology: string;
  primary: string;
  replica: string;
  replid: string;
  offset: number;
  rdb: 'dump.rdb';
  bytes: number;
  sha256: string;
  content: Content;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Snapshots a replica the view calls synced (BGSAVE there: the replica forks, never the
 * primary), copies its RDB to `to`, and writes a manifest whose content digest comes from a
 * scratch server loading the copy (proves it loads, and touches no live node). `from`: only
 * that node (a host's own: its RDB is in the local state dir).
 */
export async function takeBackup(
  p: PreparedState,
  view: ClusterView,
  to: string,
  progress: (line: string) => void,
  from?: string,
): Promise<Manifest> {
  await view.look();
  const primary = view.primary;
  const replica = p.t.nodes.find(
    (n) => (from === undefined || n.name === from) && syncedReplica(view, n.name),
  );
  if (!primary || !replica)
    throw new RedisHaError('UNHEALTHY', 'no synced replica to take a backup from', {
      hint: 'a backup never forks the primary; see `redis-ha status`',
    });
  progress(`BGSAVE on ${replica.name} (replica of ${primary.name}) ...`);
  const at = await withClient(replica, { ...view.links.nodeAuth(), timeoutMs: 5000 }, (c) =>
    bgsave(c, replica.name),
  );
  mkdirSync(to, { recursive: true });
  const rdb = path.join(to, 'dump.rdb');
  copyFileSync(path.join(p.dir.memberDir('node', replica.name), 'dump.rdb'), rdb);
  progress(`loading the copy in a scratch redis-server to record its content ...`);
  const m: Manifest = {
    version: 1,
    time: new Date().toISOString(),
    topology: p.t.masterName,
    primary: primary.name,
    replica: replica.name,
    ...at,
    rdb: 'dump.rdb',
    bytes: statSync(rdb).size,
    sha256: await sha256File(rdb),
    content: await digestOfRdb(rdb, (await findRedis()).server),
  };
  writeFileSync(path.join(to, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
  return m;
}

/** A node the view calls an in-sync replica of its primary. */
export function syncedReplica(view: ClusterView, node: string): boolean {
  const primary = view.primary;
  return primary !== undefined && node !== primary.name && view.synced(node);
}

export function readManifest(from: string): Manifest {
  const file = path.join(from, 'manifest.json');
  if (!existsSync(file))
    throw new RedisHaError('USAGE', `no manifest.json in ${from}`, {
      hint: 'give the directory `redis-ha backup --to DIR` wrote',
    });
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/**
 * Into a stopped topology: checks the checksum, then every node gets the RDB (whichever `up`
 * starts as primary loads it; replicas resync from it) and its AOF is set aside (with
 * appendonly on, Redis would load the AOF instead).
 */
export async function restoreBackup(p: PreparedState, from: string): Promise<Manifest> {
  const pid = runningSupervisor(p.dir);
  if (pid !== undefined)
    throw new RedisHaError('ALREADY_RUNNING', `this topology is running (supervisor pid ${pid})`, {
      hint: 'restore goes into a stopped topology: run `redis-ha down` first',
    });
  const m = readManifest(from);
  const rdb = path.join(from, m.rdb);
  if ((await sha256File(rdb)) !== m.sha256)
    throw new RedisHaError('USAGE', `${rdb} does not match the manifest's sha256`, {
      hint: 'the backup is damaged; use another one',
    });
  const aof = p.t.persistence.mode === 'aof' || p.t.persistence.mode === 'rdb+aof';
  for (const n of p.t.nodes) {
    const dir = p.dir.memberDir('node', n.name);
    mkdirSync(dir, { recursive: true });
    setDataAside(dir);
    placeRdb(rdb, dir, aof);
  }
  return m;
}

/**
 * With appendonly yes Redis 7 loads only the AOF (no AOF: an empty dataset, dump.rdb ignored),
 * so there the RDB becomes the AOF's base file, listed in a fresh manifest.
 */
function placeRdb(rdb: string, dir: string, aof: boolean): void {
  if (!aof) {
    copyFileSync(rdb, path.join(dir, 'dump.rdb'));
    return;
  }
  const aofDir = path.join(dir, 'appendonlydir');
  mkdirSync(aofDir, { recursive: true });
  copyFileSync(rdb, path.join(aofDir, 'appendonly.aof.1.base.rdb'));
  writeFileSync(
    path.join(aofDir, 'appendonly.aof.manifest'),
    'file appendonly.aof.1.base.rdb seq 1 type b\n',
  );
}

/**
 * BGSAVE and wait for that very save to finish. Counted by `rdb_saves` (7.0+): the last save
 * time has a resolution of one second, so a save done in the second of the previous one would
 * go unseen. A save already under way (the save schedule) started before our position was
 * read: wait it out and start ours. Returns the position read just before ours started.
 */
export async function bgsave(c: Redis, name: string): Promise<{ replid: string; offset: number }> {
  const persistence = async (): Promise<Record<string, string>> =>
    parseInfo(String(await c.info('persistence')));
  const idle = (what: string): Promise<Record<string, string>> =>
    waitFor(
      async () => {
        const info = await persistence();
        return info['rdb_bgsave_in_progress'] === '0' ? info : { pending: 'a save runs' };
      },
      { timeoutMs: 3_600_000, intervalMs: 100, what: `${what} on ${name}` },
    );
  for (let attempt = 0; ; attempt++) {
    const first = await idle('an earlier save to end');
    const counted = first['rdb_saves'] !== undefined;
    const before = num(first, counted ? 'rdb_saves' : 'rdb_last_save_time');
    // Redis 6.2 has no counter: start the save in a later second than the last one.
    if (!counted) await sleep(1000 - (Date.now() % 1000) + 10);
    const repl = parseInfo(String(await c.info('replication')));
    const started = await c.bgsave().then(
      () => true,
      (e: unknown) => {
        if (String(e).includes('in progress') && attempt < 5) return false;
        throw e;
      },
    );
    if (!started) continue;
    const info = await idle('BGSAVE');
    if (
      info['rdb_last_bgsave_status'] !== 'ok' ||
      num(info, counted ? 'rdb_saves' : 'rdb_last_save_time') <= before
    )
      throw new RedisHaError('PROCESS_FAILED', `BGSAVE failed on ${name}`, {
        hint: `see \`redis-ha logs\` for ${name}`,
      });
    return { replid: repl['master_replid'] ?? '', offset: num(repl, 'master_repl_offset') };
  }
}

export interface Verification {
  ok: boolean;
  node: string;
  mismatches: string[];
}

/** Compares the running primary's keys and values (content digest per db) with the manifest. */
export async function verifyBackup(view: ClusterView, from: string): Promise<Verification> {
  const m = readManifest(from);
  await view.look();
  const primary = view.primary;
  if (!primary)
    throw new RedisHaError('NOT_RUNNING', 'no primary to verify against', {
      hint: 'run `redis-ha up` after `redis-ha restore DIR`',
    });
  const now = await withClient(primary, { ...view.links.nodeAuth(), timeoutMs: 30_000 }, (c) =>
    contentDigest(c),
  );
  const dbs = new Set([...Object.keys(now), ...Object.keys(m.content)]);
  const mismatches: string[] = [];
  for (const db of dbs) {
    const a = m.content[db];
    const b = now[db];
    if (a?.keys !== b?.keys || a?.digest !== b?.digest)
      mismatches.push(`${db}: backup ${a?.keys ?? 0} keys, now ${b?.keys ?? 0} (values differ)`);
  }
  return { ok: mismatches.length === 0, node: primary.name, mismatches };
}
