import { unwatchFile, watchFile } from 'node:fs';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { refreshCredentials } from '../redis/client.js';
import type { StateDir } from '../runtime/state-dir.js';
import type { Topology } from '../topology/model.js';
import { credentials, sentinelCredentials } from './credentials.js';
import { loadOrCreateSecrets, type Secrets } from './store.js';
import { withTls } from './tls.js';

export type ReloaderStatus = 'idle' | 'watching' | 'stopped';

export interface ReloaderEvents extends Record<string, unknown> {
  event: HaEvent;
  status: ReloaderStatus;
  reloaded: Secrets;
}

/** How a running daemon process learns of `secrets rotate`: the message it logs per generation. */
export function reloadedMessage(generation: number): string {
  return `secrets reloaded (generation ${generation})`;
}

/**
 * Watches the secrets file of a running process (`up`, `exporter`, `dashboard`, `proxy`) and, when
 * `secrets rotate` bumps its generation, puts the new passwords in place without a restart: the
 * process's one Secrets object is updated in place (every holder reads it at use) and reconnecting
 * clients are given the new credentials for their next connection.
 */
export class SecretsReloader extends TypedEmitter<ReloaderEvents> {
  #status: ReloaderStatus = 'idle';
  readonly #t: Topology;
  readonly #dir: StateDir;
  readonly #secrets: Secrets;
  readonly #onChange = (): void => this.#check();

  constructor(t: Topology, dir: StateDir, shared: Secrets) {
    super();
    this.#t = t;
    this.#dir = dir;
    this.#secrets = shared;
  }

  get status(): ReloaderStatus {
    return this.#status;
  }

  start(): void {
    if (this.#status !== 'idle') return;
    // Polling: the file is replaced by rename, which inotify watchers of the old inode miss.
    watchFile(this.#dir.secretsFile, { interval: 200 }, this.#onChange);
    this.#setStatus('watching');
  }

  stop(): void {
    if (this.#status !== 'watching') return;
    unwatchFile(this.#dir.secretsFile, this.#onChange);
    this.#setStatus('stopped');
  }

  #check(): void {
    let next: Secrets;
    try {
      next = withTls(loadOrCreateSecrets(this.#dir), this.#t);
    } catch (e) {
      this.emit(
        'event',
        makeEvent('warning', `secrets file unreadable, kept the current ones: ${String(e)}`),
      );
      return;
    }
    if ((next.generation ?? 0) === (this.#secrets.generation ?? 0)) return;
    // One object shared by the whole process: replace its contents, not the reference.
    Object.assign(this.#secrets, next);
    const n = refreshCredentials((who) =>
      who === 'sentinels'
        ? sentinelCredentials(this.#t, this.#secrets)
        : credentials(this.#t, this.#secrets, who),
    );
    this.emit('reloaded', this.#secrets);
    this.emit(
      'event',
      makeEvent('status', `${reloadedMessage(next.generation ?? 0)}: ${n} live connections`, {
        data: { generation: next.generation ?? 0 },
      }),
    );
  }

  #setStatus(s: ReloaderStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
