import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors/errors.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { PreparedState } from '../state/prepare.js';
import type { ClusterView } from '../view/view.js';
import { takeBackup, type Manifest } from './backup.js';
import { applyRetention, backupName, PARTIAL_PREFIX, partialBackups } from '../state/backups.js';

export interface RotatedBackup {
  dir: string;
  manifest: Manifest;
  /** Older backups deleted to keep `keep`. */
  deleted: string[];
}

/**
 * One backup into `root/<time>`, built under a partial name and renamed once its manifest is
 * written (a backup dir with a manifest is always whole), then retention. `abandoned` is asked
 * before the rename: true drops the partial copy.
 */
export async function takeRotatedBackup(
  p: PreparedState,
  view: ClusterView,
  o: {
    root: string;
    keep?: number | undefined;
    abandoned?: () => boolean;
    from?: string | undefined;
  },
  progress: (line: string) => void,
): Promise<RotatedBackup> {
  const name = backupName(new Date());
  const partial = path.join(o.root, `${PARTIAL_PREFIX}${name}`);
  const dir = path.join(o.root, name);
  try {
    const manifest = await takeBackup(p, view, partial, progress, o.from);
    if (o.abandoned?.()) throw new Error('abandoned: the scheduler stopped');
    // Room made first, so no one ever sees more than `keep` (the new one is whole already).
    const deleted = o.keep === undefined ? [] : applyRetention(o.root, o.keep - 1);
    renameSync(partial, dir);
    return { dir, manifest, deleted };
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

export type BackupSchedulerStatus = 'idle' | 'waiting' | 'backing-up' | 'stopped';

export type BackupOutcome =
  | { ok: true; dir: string; ms: number; deleted: string[] }
  | { ok: false; dir: string; ms: number; error: string };

export interface BackupSchedulerEvents extends Record<string, unknown> {
  event: HaEvent;
  status: BackupSchedulerStatus;
  backup: BackupOutcome;
}

export interface BackupSchedulerOptions {
  p: PreparedState;
  /** The process's one view. */
  view: ClusterView;
  everyMs: number;
  keep: number;
  root: string;
  /** Bound on stop(): a backup still running then is abandoned. */
  stopTimeoutMs: number;
}

/**
 * Takes a backup every `everyMs` (the first one `everyMs` after start), one at a time: the next
 * is due `everyMs` after the last one started, or at once if that one took longer.
 */
export class BackupScheduler extends TypedEmitter<BackupSchedulerEvents> {
  readonly #o: BackupSchedulerOptions;
  #status: BackupSchedulerStatus = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(o: BackupSchedulerOptions) {
    super();
    this.#o = o;
  }

  get status(): BackupSchedulerStatus {
    return this.#status;
  }

  start(): void {
    if (this.#status !== 'idle') return;
    // A partial copy is what a process killed mid-backup left: never a backup, never kept.
    for (const d of partialBackups(this.#o.root)) rmSync(d, { recursive: true, force: true });
    this.#schedule(this.#o.everyMs);
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    clearTimeout(this.#timer);
    this.#setStatus('stopped');
    const running = this.#running;
    if (running) await Promise.race([running, sleep(this.#o.stopTimeoutMs)]);
  }

  #schedule(ms: number): void {
    if (this.#status === 'stopped') return;
    this.#setStatus('waiting');
    this.#timer = setTimeout(() => {
      this.#running = this.#once().finally(() => (this.#running = undefined));
    }, ms);
    this.#timer.unref();
  }

  async #once(): Promise<void> {
    const started = Date.now();
    this.#setStatus('backing-up');
    const o = this.#o;
    const progress = (line: string): void =>
      this.emit('event', makeEvent('progress', `backup: ${line}`, { member: 'backup' }));
    const abandoned = (): boolean => this.#status === 'stopped';
    try {
      const r = await takeRotatedBackup(o.p, o.view, { ...o, abandoned }, progress);
      const ms = Date.now() - started;
      this.#report({ ok: true, dir: r.dir, ms, deleted: r.deleted });
    } catch (e) {
      const ms = Date.now() - started;
      this.#report({ ok: false, dir: o.root, ms, error: errorMessage(e) });
    }
    this.#schedule(Math.max(0, started + o.everyMs - Date.now()));
  }

  #report(b: BackupOutcome): void {
    this.emit('backup', b);
    const took = `${(b.ms / 1000).toFixed(1)}s`;
    const e = b.ok
      ? makeEvent('backup', `backup done in ${b.dir} (${took}), ${b.deleted.length} old deleted`, {
          member: 'backup',
          data: { dir: b.dir, ms: b.ms, deleted: b.deleted },
        })
      : makeEvent('backup', `backup failed after ${took}: ${b.error}`, {
          member: 'backup',
          level: this.#status === 'stopped' ? 'info' : 'warn',
          data: { dir: b.dir, ms: b.ms, error: b.error },
        });
    this.emit('event', e);
  }

  #setStatus(s: BackupSchedulerStatus): void {
    if (this.#status === s) return;
    this.#status = s;
    this.emit('status', s);
  }
}
