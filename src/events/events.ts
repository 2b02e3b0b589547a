import { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import { redact, redactLoginLinks } from '../util/redact.js';

export type HaEventKind =
  | 'progress'
  | 'child-started'
  | 'child-exited'
  | 'restart'
  | 'synced'
  | 'primary-down'
  | 'failover'
  | 'rejoin'
  | 'healthy'
  | 'ready'
  | 'unhealthy'
  | 'sentinel'
  | 'decision'
  | 'status'
  | 'warning'
  | 'secrets-reloaded'
  | 'single-copy'
  | 'backup'
  | 'error';

export type Level = 'info' | 'warn' | 'error';

/** Every decision and observation worth a line, for the CLI, the events file and later metrics. */
export interface HaEvent {
  ts: string;
  kind: HaEventKind;
  level: Level;
  member?: string | undefined;
  message: string;
  data?: Record<string, unknown> | undefined;
}

export function makeEvent(
  kind: HaEventKind,
  message: string,
  extra: { level?: Level; member?: string | undefined; data?: Record<string, unknown> } = {},
): HaEvent {
  return {
    ts: new Date().toISOString(),
    kind,
    level: extra.level ?? (kind === 'error' ? 'error' : kind === 'warning' ? 'warn' : 'info'),
    member: extra.member,
    message: redactLoginLinks(redact(message)),
    data: extra.data,
  };
}

export function formatEvent(e: HaEvent): string {
  const time = e.ts.slice(11, 23);
  const tag = e.level === 'info' ? '' : `${e.level.toUpperCase()} `;
  return `${time} ${tag}${e.member ? `[${e.member}] ` : ''}${e.message}`;
}

/** A typed wrapper over EventEmitter: listeners see the payload type of their event name. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  readonly #ee = new EventEmitter();

  on<K extends keyof Events & string>(name: K, fn: (payload: Events[K]) => void): () => void {
    this.#ee.on(name, fn);
    return () => this.#ee.off(name, fn);
  }

  protected emit<K extends keyof Events & string>(name: K, payload: Events[K]): void {
    this.#ee.emit(name, payload);
  }
}

/** Appends events to a JSONL file (redacted at creation), for `logs` and `secrets rotate`. */
export function appendEvent(file: string, e: HaEvent): void {
  try {
    appendFileSync(file, JSON.stringify(e) + '\n', { mode: 0o600 });
  } catch {
    /* the state dir may be gone during teardown; the event still reaches listeners */
  }
}
