import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** A directory of a backup root, with the time of its redis-ha manifest when it has one. */
export interface BackupEntry {
  name: string;
  /** Epoch ms from a manifest redis-ha wrote; undefined: not ours, never touched. */
  time?: number | undefined;
}

/** A scheduled backup is built under this name, then renamed: never counted, never kept. */
export const PARTIAL_PREFIX = '.partial-';

/** The name of a backup taken at `at`: its ISO time, sortable, valid in a path. */
export function backupName(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/**
 * Which backups to delete so that `keep` remain: the oldest by manifest time. Entries without
 * a redis-ha manifest are neither counted nor chosen, whatever their name.
 */
export function expiredBackups(entries: readonly BackupEntry[], keep: number): string[] {
  const ours = entries
    .filter((e): e is Required<BackupEntry> => e.time !== undefined && Number.isFinite(e.time))
    .sort((a, b) => b.time - a.time || b.name.localeCompare(a.name));
  return ours.slice(Math.max(0, keep)).map((e) => e.name);
}

/** The time of a manifest redis-ha wrote in `dir`, else undefined (no file, not ours, bad). */
export function manifestTime(dir: string): number | undefined {
  const file = path.join(dir, 'manifest.json');
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (m['version'] !== 1 || m['rdb'] !== 'dump.rdb' || typeof m['sha256'] !== 'string')
      return undefined;
    const t = typeof m['time'] === 'string' ? Date.parse(m['time']) : NaN;
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The backups of a root directory (missing root: none). Partial ones are left out. */
export function listBackups(root: string): BackupEntry[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => ({ name: d.name, time: manifestTime(path.join(root, d.name)) }));
}

/** Deletes the backups beyond `keep` in `root`; returns the directories deleted. */
export function applyRetention(root: string, keep: number): string[] {
  const gone = expiredBackups(listBackups(root), keep).map((n) => path.join(root, n));
  for (const dir of gone) rmSync(dir, { recursive: true, force: true });
  return gone;
}

/** The newest backup of a root: its directory and manifest time. */
export function newestBackup(root: string): { dir: string; time: number } | undefined {
  const [name] = expiredBackups(listBackups(root), 0);
  if (name === undefined) return undefined;
  const dir = path.join(root, name);
  const time = manifestTime(dir);
  return time === undefined ? undefined : { dir, time };
}

/** Partial directories left by a process that died while it took a backup. */
export function partialBackups(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n.startsWith(PARTIAL_PREFIX) && statSync(path.join(root, n)).isDirectory())
    .map((n) => path.join(root, n));
}
