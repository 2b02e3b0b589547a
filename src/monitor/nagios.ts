import { RedisHaError } from '../errors/errors.js';

/**
 * Nagios / Icinga plugin conventions (monitoring-plugins guidelines): ranges, states, perfdata and
 * the output format. Pure.
 */

export const OK = 0;
export const WARNING = 1;
export const CRITICAL = 2;
export const UNKNOWN = 3;
export type State = typeof OK | typeof WARNING | typeof CRITICAL | typeof UNKNOWN;
export const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** A clock for response times: `performance` would load perf_hooks (~1 ms of a plugin's start). */
export function stopwatch(): () => number {
  const t0 = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A threshold range: alert when the value is outside [start, end] (inside with `@`). */
export interface Range {
  start: number;
  end: number;
  inside: boolean;
  text: string;
}

/** Parses `10`, `10:`, `~:10`, `10:20`, `@10:20` (numbers may be negative or decimal). */
export function parseRange(text: string): Range {
  const t = text.trim();
  const inside = t.startsWith('@');
  const body = inside ? t.slice(1) : t;
  const num = (s: string, what: string): number => {
    if (!/^-?(\d+(\.\d+)?|\.\d+)$/.test(s))
      throw new RedisHaError('USAGE', `invalid ${what} "${s}" in range "${text}"`);
    return Number(s);
  };
  let start = 0;
  let end = Infinity;
  const colon = body.indexOf(':');
  if (colon < 0) end = num(body, 'end');
  else {
    const a = body.slice(0, colon);
    const b = body.slice(colon + 1);
    start = a === '~' ? -Infinity : a === '' ? 0 : num(a, 'start');
    end = b === '' ? Infinity : num(b, 'end');
  }
  if (start > end) throw new RedisHaError('USAGE', `range "${text}": start is greater than end`);
  return { start, end, inside, text: t };
}

/** True when `value` should raise an alert for this range. */
export function alerts(r: Range, value: number): boolean {
  const within = value >= r.start && value <= r.end;
  return r.inside ? within : !within;
}

export interface Thresholds {
  warn?: Range | undefined;
  crit?: Range | undefined;
}

export function evaluate(t: Thresholds, value: number): State {
  if (t.crit && alerts(t.crit, value)) return CRITICAL;
  if (t.warn && alerts(t.warn, value)) return WARNING;
  return OK;
}

export interface Perf {
  label: string;
  value: number;
  uom?: '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'c';
  thresholds?: Thresholds;
  min?: number | undefined;
  max?: number | undefined;
}

const fmt = (n: number): string =>
  Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/\.?0+$/, '');

/** `'label'=value[UOM];[warn];[crit];[min];[max]` */
export function formatPerf(p: Perf): string {
  const w = p.thresholds?.warn?.text ?? '';
  const c = p.thresholds?.crit?.text ?? '';
  const min = p.min === undefined ? '' : fmt(p.min);
  const max = p.max === undefined ? '' : fmt(p.max);
  const label = p.label.replace(/'/g, "''");
  return `'${label}'=${fmt(p.value)}${p.uom ?? ''};${w};${c};${min};${max}`.replace(/;+$/, '');
}

export interface Finding {
  state: State;
  text: string;
}

/** Severity order: UNKNOWN ranks below CRITICAL but above WARNING (as the guidelines do). */
const rank = (s: State): number => (s === CRITICAL ? 3 : s === UNKNOWN ? 2 : s === WARNING ? 1 : 0);

/** The worst state wins. */
export function worst(states: readonly State[]): State {
  return states.reduce<State>((a, b) => (rank(b) > rank(a) ? b : a), OK);
}

/**
 * `SERVICE STATUS - most severe first; ... | perfdata` then, verbose, one line per finding.
 */
export function formatOutput(
  service: string,
  findings: readonly Finding[],
  perf: readonly Perf[],
  okText: string,
  verbose: boolean,
): { state: State; text: string } {
  const state = worst(findings.map((f) => f.state));
  const problems = findings
    .filter((f) => f.state !== OK)
    .sort((a, b) => rank(b.state) - rank(a.state));
  const summary = problems.length > 0 ? problems.map((f) => f.text).join('; ') : okText;
  const perfText = perf.map(formatPerf).join(' ');
  const lines = [
    `${service} ${STATE_NAMES[state]} - ${summary}${perfText ? ` | ${perfText}` : ''}`,
  ];
  if (verbose) for (const f of findings) lines.push(`[${STATE_NAMES[f.state]}] ${f.text}`);
  return { state, text: lines.join('\n') };
}
