/** Which slot map the nodes agree on, and what peers say of one node. Pure. */
import type { NodeSnapshot } from './analyze.js';
import { slotCount, type ClusterNodeEntry } from './parse.js';

export interface SlotMapVerdict {
  /** Every reachable node prints the same slot owners. */
  agreed: boolean;
  /** Nodes that answered with another map than the most common one. */
  dissenting: readonly string[];
  /** How many nodes share the most common map. */
  majoritySize: number;
  /** Slots assigned in the most common map. */
  assigned: number;
}

/** The owners of every slot as one node prints them: "start-end=id" of each range, sorted. */
export function slotDigest(nodes: readonly ClusterNodeEntry[]): string {
  return nodes
    .filter((e) => e.role === 'primary')
    .flatMap((e) => e.slots.map((r) => ({ ...r, id: e.id })))
    .sort((a, b) => a.start - b.start)
    .map((r) => `${r.start}-${r.end}=${r.id}`)
    .join(' ');
}

/** The most common slot map among the reachable nodes, and a node view that holds it. */
export function majorityMap(snaps: readonly NodeSnapshot[]): {
  verdict: SlotMapVerdict;
  reference?: readonly ClusterNodeEntry[] | undefined;
} {
  const views = snaps.filter((s) => s.reachable && s.nodes);
  const counts = new Map<string, number>();
  const digests = views.map((s) => slotDigest(s.nodes ?? []));
  for (const d of digests) counts.set(d, (counts.get(d) ?? 0) + 1);
  const [best, size] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const refIndex = digests.indexOf(best);
  const reference = refIndex < 0 ? undefined : views[refIndex]?.nodes;
  const assigned = (reference ?? [])
    .filter((e) => e.role === 'primary')
    .reduce((n, e) => n + slotCount(e.slots), 0);
  return {
    verdict: {
      agreed: views.length > 0 && size === views.length,
      dissenting: views.filter((_, i) => digests[i] !== best).map((s) => s.name),
      majoritySize: size,
      assigned,
    },
    reference,
  };
}

const SHOWN = ['fail', 'handshake', 'noaddr', 'nofailover'];

/** The flags reachable peers print for a node ("fail?" as pfail), and how many say pfail/fail. */
export function flagsSeen(
  snaps: readonly NodeSnapshot[],
  id: string | undefined,
): { flags: string[]; pfailBy: number; failBy: number } {
  const flags = new Set<string>();
  let pfailBy = 0;
  let failBy = 0;
  if (id === undefined) return { flags: [], pfailBy, failBy };
  for (const s of snaps) {
    if (!s.reachable) continue;
    const e = s.nodes?.find((x) => x.id === id && !x.myself);
    if (!e) continue;
    if (e.flags.includes('fail?')) {
      pfailBy++;
      flags.add('pfail');
    }
    if (e.flags.includes('fail')) failBy++;
    for (const f of e.flags) if (SHOWN.includes(f)) flags.add(f);
  }
  return { flags: [...flags].sort(), pfailBy, failBy };
}

/**
 * A full mesh: every reachable node has its own link to every peer (PONG received, connected)
 * and knows whom each replica follows. Right after a MEET a node may know a peer from gossip only
 * ("slave -", no link): formed, not yet healthy. Peers we cannot reach ourselves are left out.
 */
export function meshProblems(snaps: readonly NodeSnapshot[]): string[] {
  const down = new Set(snaps.filter((s) => !s.reachable).map((s) => `${s.host}:${s.port}`));
  const nameOf = (e: ClusterNodeEntry): string =>
    snaps.find((s) => s.myId === e.id)?.name ?? `${e.ip}:${e.port}`;
  const out: string[] = [];
  for (const s of snaps) {
    if (!s.reachable) continue;
    for (const e of s.nodes ?? []) {
      if (e.myself || down.has(`${e.ip}:${e.port}`)) continue;
      if (!e.linkConnected || e.pongReceived === 0)
        out.push(`${s.name}: no link to ${nameOf(e)} yet`);
      else if (e.role === 'replica' && !e.primaryId)
        out.push(`${s.name}: does not know whom ${nameOf(e)} replicates`);
    }
  }
  return out;
}
