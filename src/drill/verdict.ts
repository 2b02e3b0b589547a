import type { VipSamples } from './lab-faults.js';
import type { BoundTopology } from '../topology/model.js';
import type { RunTrace } from './trace.js';
import type { Ack } from './writer.js';

export interface DrillRun {
  run: number;
  fault: string;
  from: string;
  to: string;
  /** Fault -> first acknowledged write issued after the fault; null when none was. */
  blackoutMs: number | null;
  acked: number;
  /** Longest interval between two consecutive acknowledgements from the fault on. */
  maxGapMs: number;
  lost: number;
  /** The lost writes by acknowledging node: how many, first and last ack (ms from the fault). */
  lostBy?: LostGroup[] | undefined;
  nonPrimaryAcks: number;
  errors: number;
  /** Failed writes by kind (NOREPLICAS, READONLY, stalled, a connection error ...). */
  errorKinds?: Record<string, number> | undefined;
  healthyAfterMs: number;
  /** How long the primary took writes that no replica confirmed (single copy); null: never. */
  singleCopyMs?: number | null | undefined;
  /** Lab partition: cut -> the isolated old primary refusing writes; null: it never did. */
  isolatedRefusedAfterMs?: number | null | undefined;
  /** With --report: what its chart draws. */
  trace?: RunTrace | undefined;
  /** In the lab (vip mode): who carried the floating address, sampled every 50 ms. */
  vip?: VipSamples | undefined;
}

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export interface DrillSummary {
  blackoutMs: Stats | null;
  healthyAfterMs: Stats | null;
  maxGapMs: Stats | null;
  singleCopyMs: Stats | null;
  lost: number;
  nonPrimaryAcks: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** min / median / max of the finite values; null when there are none. */
export function stats(xs: number[]): Stats | null {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return { min: s[0] ?? NaN, median: median(s), max: s[s.length - 1] ?? NaN };
}

export function summarize(runs: readonly DrillRun[]): DrillSummary {
  return {
    blackoutMs: stats(runs.map((r) => r.blackoutMs ?? NaN)),
    healthyAfterMs: stats(runs.map((r) => r.healthyAfterMs)),
    maxGapMs: stats(runs.map((r) => r.maxGapMs)),
    singleCopyMs: stats(runs.map((r) => r.singleCopyMs ?? NaN)),
    lost: runs.reduce((n, r) => n + r.lost, 0),
    nonPrimaryAcks: runs.reduce((n, r) => n + r.nonPrimaryAcks, 0),
  };
}

/**
 * Acks from a node that was not the confirmed primary while the write was in flight, nor became
 * it right after (the drill's own watcher may see a promotion a little after the endpoint does;
 * a node only accepts writes once promoted). What remains is a stale or rogue primary. Pure.
 */
export function nonPrimaryAcks(
  t: BoundTopology,
  acks: readonly Ack[],
  timeline: readonly { at: number; primary: string | undefined }[],
): number {
  const nameOf = (laddr: string): string | undefined =>
    t.nodes.find((n) => laddr === `${n.host}:${n.port}` || laddr.endsWith(`:${n.port}`))?.name;
  const primaryAt = (at: number): string | undefined =>
    [...timeline].reverse().find((e) => e.at <= at)?.primary;
  let bad = 0;
  // Through a floating address the server's local address is the VIP: it names no node.
  const vip =
    t.endpoint.mode === 'vip' && t.endpoint.address ? `${t.endpoint.address}:` : undefined;
  for (const a of acks) {
    if (vip && a.node.startsWith(vip)) continue;
    const node = nameOf(a.node);
    // The next named primary (a moment of "none" in between is not a primary).
    const next = timeline.find((e) => e.at > a.ackedAt && e.primary)?.primary;
    const during = new Set([
      primaryAt(a.issuedAt),
      ...timeline.filter((e) => e.at > a.issuedAt && e.at <= a.ackedAt).map((e) => e.primary),
      next,
    ]);
    if (!node || !during.has(node)) bad++;
  }
  return bad;
}

/** Longest silence between acknowledgements from t0 until the writer stopped (`end`). */
export function maxGap(acks: readonly Ack[], t0: number, end: number): number {
  let prev = t0;
  let gap = 0;
  for (const a of acks) {
    if (a.ackedAt < t0) continue;
    gap = Math.max(gap, a.ackedAt - prev);
    prev = a.ackedAt;
  }
  return Math.max(gap, end - prev);
}

export interface LostGroup {
  node: string;
  count: number;
  firstMs: number;
  lastMs: number;
}

/** Lost acknowledgements grouped by the node that gave them, times from the fault. Pure. */
export function lostBy(t: BoundTopology, lost: readonly Ack[], t0: number): LostGroup[] {
  const groups = new Map<string, LostGroup>();
  for (const a of lost) {
    const node =
      t.nodes.find((n) => a.node === `${n.host}:${n.port}` || a.node.endsWith(`:${n.port}`))
        ?.name ?? a.node;
    const at = Math.round(a.ackedAt - t0);
    const g = groups.get(node);
    if (!g) groups.set(node, { node, count: 1, firstMs: at, lastMs: at });
    else {
      g.count++;
      g.firstMs = Math.min(g.firstMs, at);
      g.lastMs = Math.max(g.lastMs, at);
    }
  }
  return [...groups.values()];
}
