/**
 * What a drill report draws for one run, as plain data (pure): acknowledged writes per second
 * around the fault, the blackout, the sentinels' failover phases and the endpoint's switches,
 * every time in ms relative to the fault.
 */
import { PHASES } from '../dashboard/timeline.js';
import type { Ack } from './writer.js';

export interface RunTrace {
  binMs: number;
  /** Start of the first bin. */
  fromMs: number;
  /** Acknowledged writes per second, per bin. */
  rate: number[];
  blackoutMs: number | null;
  phases: { channel: string; atMs: number }[];
  switches: { atMs: number; to: string }[];
}

export interface TimedEvent {
  at: number;
  channel: string;
}

export function traceOf(
  acks: readonly Ack[],
  t0: number,
  stoppedAt: number,
  events: readonly TimedEvent[],
  switches: readonly { at: number; primary: string | undefined }[],
  blackoutMs: number | null,
  binMs = 50,
): RunTrace {
  const first = acks[0]?.ackedAt ?? t0;
  const fromMs = Math.floor((first - t0) / binMs) * binMs;
  const bins = Math.max(1, Math.ceil((stoppedAt - t0 - fromMs) / binMs));
  const rate = new Array<number>(bins).fill(0);
  for (const a of acks) {
    const i = Math.floor((a.ackedAt - t0 - fromMs) / binMs);
    if (i >= 0 && i < bins) rate[i] = (rate[i] ?? 0) + 1000 / binMs;
  }
  const inRun = (at: number): boolean => at >= t0 + fromMs && at <= stoppedAt;
  const phases: RunTrace['phases'] = [];
  for (const ch of PHASES) {
    const e = events.find((x) => x.channel === ch && inRun(x.at));
    if (e) phases.push({ channel: ch, atMs: e.at - t0 });
  }
  phases.sort((a, b) => a.atMs - b.atMs);
  return {
    binMs,
    fromMs,
    rate,
    blackoutMs,
    phases,
    switches: switches
      .filter((s) => inRun(s.at) && s.at >= t0)
      .map((s) => ({ atMs: s.at - t0, to: s.primary ?? 'none' })),
  };
}
