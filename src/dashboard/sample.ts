/** Chart points, shared by the server (history) and the page (live): plain data, no I/O. */
import type { NodeView, Snapshot } from './view.js';

/** One point of the charts: per node, sampled once a second. */
export interface Sample {
  at: number;
  ops: Record<string, number | null>;
  lag: Record<string, number | null>;
  memory: Record<string, number | null>;
}

export function sampleOf(s: Snapshot): Sample {
  const pick = (f: (n: NodeView) => number | undefined): Record<string, number | null> =>
    Object.fromEntries(s.nodes.map((n) => [n.name, f(n) ?? null]));
  return {
    at: s.at,
    ops: pick((n) => n.opsPerSec),
    lag: pick((n) => n.lagBytes),
    memory: pick((n) => n.usedMemory),
  };
}
