import { unwatchFile, watchFile } from 'node:fs';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { Topology } from '../topology/model.js';
import { loadOrCreateSecrets, type Secrets } from './secrets.js';
import type { StateDir } from './state-dir.js';
import { withTls } from './tls.js';

/** Where a process reads its secrets at use: a snapshot that `secrets rotate` replaces. */
export interface SecretsSource {
  readonly current: Secrets;
}

/** A source that never changes (one-shot commands). */
export function fixedSecrets(current: Secrets): SecretsSource {
  return { current };
}

export type LiveSecretsStatus = 'idle' | 'watching' | 'stopped';

export interface LiveSecretsEvents extends Record<string, unknown> {
  event: HaEvent;
  status: LiveSecretsStatus;
  changed: Secrets;
}

/**
 * The secrets of a running daemon process (`up`, the agent, `exporter`, `dashboard`, `proxy`):
 * when `secrets rotate` bumps the file's generation the snapshot is replaced (never mutated), and
 * every holder reads the new one at its next use; reconnecting clients read it through their
 * `refresh` option before each reconnection.
 */
export class LiveSecrets extends TypedEmitter<LiveSecretsEvents> implements SecretsSource {
  #status: LiveSecretsStatus = 'idle';
  #current: Secrets;
  readonly #t: Topology;
  readonly #dir: StateDir;
  readonly #onChange = (): void => this.#check();

  constructor(t: Topology, dir: StateDir, initial: Secrets) {
    super();
    this.#t = t;
    this.#dir = dir;
    this.#current = initial;
  }

  get current(): Secrets {
    return this.#current;
  }

  get status(): LiveSecretsStatus {
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
    const generation = next.generation ?? 0;
    if (generation === (this.#current.generation ?? 0)) return;
    this.#current = next;
    this.emit('changed', next);
    this.emit(
      'event',
      makeEvent('secrets-reloaded', `secrets reloaded (generation ${generation})`, {
        data: { generation },
      }),
    );
  }

  #setStatus(s: LiveSecretsStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
