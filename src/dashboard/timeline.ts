/**
 * One time axis for everything that happens: sentinel events, endpoint switches, supervisor
 * decisions. A bounded ring; the latest failover's phases are derived from it (pure).
 */

export type TimelineSource = 'sentinel' | 'endpoint' | 'supervisor' | 'monitor' | 'dashboard';

export interface TimelineEntry {
  id: number;
  at: number;
  source: TimelineSource;
  member?: string | undefined;
  /** Sentinel channel (`+switch-master`, ...) for sentinel entries. */
  channel?: string | undefined;
  text: string;
  level: 'info' | 'warn' | 'error';
}

/** Sentinel's failover, in the order it goes through it. */
export const PHASES = [
  '+sdown',
  '+odown',
  '+try-failover',
  '+elected-leader',
  '+failover-state-select-slave',
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  '+switch-master',
  '+failover-end',
] as const;

export interface Phase {
  channel: string;
  at: number;
  /** Since the previous phase (0 for the first). */
  sinceMs: number;
}

export interface FailoverPhases {
  phases: Phase[];
  startedAt: number;
  /** Until +switch-master, when it came. */
  totalMs?: number | undefined;
  done: boolean;
  /** Ids of the timeline entries that make it up (highlighted). */
  entryIds: number[];
}

const KEEP = 1000;

export class Timeline {
  #entries: TimelineEntry[] = [];
  #next = 1;

  add(e: Omit<TimelineEntry, 'id'>): TimelineEntry {
    const entry = { ...e, id: this.#next++ };
    this.#entries.push(entry);
    if (this.#entries.length > KEEP) this.#entries.splice(0, this.#entries.length - KEEP);
    return entry;
  }

  get entries(): readonly TimelineEntry[] {
    return this.#entries;
  }
}

/**
 * The latest failover: its first sign after the previous +switch-master (a +sdown of the master,
 * +odown or +try-failover) through the phases every sentinel reports; the first report of each
 * phase counts. Undefined when no failover has started. Pure.
 */
export function latestFailover(entries: readonly TimelineEntry[]): FailoverPhases | undefined {
  const s = entries.filter(
    (e) =>
      e.source === 'sentinel' &&
      e.channel !== undefined &&
      (PHASES as readonly string[]).includes(e.channel) &&
      (e.channel !== '+sdown' || e.text.startsWith('master ')),
  );
  const switches = s.flatMap((e, i) => (e.channel === '+switch-master' ? [i] : []));
  const lastSwitch = switches.at(-1);
  // Every sentinel announces the same switch; the previous failover's names another primary.
  const lastText = lastSwitch === undefined ? undefined : s[lastSwitch]?.text;
  const prevSwitch = switches.filter((i) => s[i]?.text !== lastText).at(-1);
  const starts = new Set(['+sdown', '+odown', '+try-failover']);
  // A failover under way after the last switch, or else the one that ended with it.
  const tailStart = s.findIndex(
    (e, i) => i > (lastSwitch ?? -1) && e.channel !== undefined && starts.has(e.channel),
  );
  let from: number;
  let to: number;
  if (tailStart >= 0) [from, to] = [tailStart, s.length];
  else if (lastSwitch !== undefined) {
    const first = s.findIndex(
      (e, i) => i > (prevSwitch ?? -1) && e.channel !== undefined && starts.has(e.channel),
    );
    [from, to] = [first >= 0 && first <= lastSwitch ? first : lastSwitch, s.length];
  } else return undefined;
  const window = s.slice(from, to);
  const phases: Phase[] = [];
  const ids: number[] = [];
  for (const ch of PHASES) {
    const e = window.find((x) => x.channel === ch);
    if (!e) continue;
    phases.push({ channel: ch, at: e.at, sinceMs: 0 });
  }
  phases.sort((a, b) => a.at - b.at);
  phases.forEach((p, i) => (p.sinceMs = i === 0 ? 0 : p.at - (phases[i - 1]?.at ?? p.at)));
  for (const e of window) ids.push(e.id);
  const startedAt = phases[0]?.at ?? window[0]?.at ?? 0;
  const sw = phases.find((p) => p.channel === '+switch-master');
  return {
    phases,
    startedAt,
    totalMs: sw ? sw.at - startedAt : undefined,
    done: sw !== undefined,
    entryIds: ids,
  };
}
