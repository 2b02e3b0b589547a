import type { BoundTopology } from '../topology/model.js';
import { tally } from '../topology/majority.js';
import type { NodeObs, Observation, SentinelObs } from './observation.js';
import { singleCopy, syncOf, SYNC_LAG_BYTES } from './synced.js';

export interface ReplicaState {
  name: string;
  following?: string | undefined;
  linkUp: boolean;
  lagBytes: number;
  syncing: boolean;
}

export interface Health {
  healthy: boolean;
  /** The node every reachable sentinel names, when they agree and it says role:master. */
  primary?: string | undefined;
  /** What each sentinel names (node name, or host:port when unknown). */
  sentinelViews: Record<string, string | undefined>;
  /** How many sentinels name the majority's choice. */
  agreeing: number;
  sentinelReachable: number;
  replicas: ReplicaState[];
  problems: string[];
}

function nodeName(
  t: BoundTopology,
  host: string | undefined,
  port: number | undefined,
): string | undefined {
  if (host === undefined || port === undefined) return undefined;
  return t.nodes.find((n) => n.host === host && n.port === port)?.name ?? `${host}:${port}`;
}

/** The node a strict majority of all sentinels name, if any (the one rule: majority.ts). Pure. */
export function majorityPrimary(
  t: BoundTopology,
  sentinels: readonly Pick<SentinelObs, 'reachable' | 'tilt' | 'masterHost' | 'masterPort'>[],
): { name?: string; votes: number } {
  const r = tally(
    sentinels.map((s) => ({
      usable: s.reachable && s.tilt !== true,
      vote: nodeName(t, s.masterHost, s.masterPort),
    })),
    (n) => n,
    t.sentinels.length,
  );
  return r.winner === undefined ? { votes: r.votes } : { name: r.winner, votes: r.votes };
}

/**
 * Pure health analysis. Healthy means: one primary that says role:master and that every sentinel
 * names; every other node a replica of it with its link up and its offset caught up; every
 * sentinel reachable, out of TILT, aware of all replicas and peers, with CKQUORUM OK.
 */
export function analyzeHealth(
  t: BoundTopology,
  obs: Observation,
  o: { strictOffsets?: boolean } = {},
): Health {
  // Under write load offsets always differ a little; waits demand equality, status tolerates 1MB.
  const lagLimit = o.strictOffsets ? 0 : SYNC_LAG_BYTES;
  const problems: string[] = [];
  const sentinelViews: Record<string, string | undefined> = {};
  for (const s of obs.sentinels)
    sentinelViews[s.name] = s.reachable ? nodeName(t, s.masterHost, s.masterPort) : undefined;
  const { name: majority, votes } = majorityPrimary(t, obs.sentinels);
  const byName = new Map<string, NodeObs>(obs.nodes.map((n) => [n.name, n]));

  const masters = obs.nodes.filter((n) => n.reachable && n.role === 'master');
  let primary: string | undefined;
  if (majority) {
    const p = byName.get(majority);
    if (!p?.reachable)
      problems.push(
        `primary ${majority} (named by ${votes} sentinels) is unreachable${p?.error ? `: ${p.error}` : ''}`,
      );
    else if (p.role !== 'master')
      problems.push(
        `${majority} is named primary by the sentinels but reports role:${p.role ?? '?'}`,
      );
    else if (p.loading) problems.push(`primary ${majority} is still loading its dataset`);
    else primary = majority;
    if (primary && singleCopy(t, p))
      problems.push(
        `single copy: primary ${primary} takes writes with no replica confirming them (a failover now would lose them)`,
      );
  } else if (obs.sentinels.length > 0) {
    problems.push(
      `no sentinel majority names a primary (views: ${Object.entries(sentinelViews)
        .map(([k, v]) => `${k}=${v ?? 'unreachable'}`)
        .join(', ')})`,
    );
  }
  for (const m of masters) {
    if (m.name !== majority)
      problems.push(
        `${m.name} reports role:master but the sentinels do not name it (split brain risk)`,
      );
  }

  const primaryObs = primary ? byName.get(primary) : undefined;
  const primaryNode = primary ? t.nodes.find((n) => n.name === primary) : undefined;
  const replicas: ReplicaState[] = [];
  for (const n of t.nodes) {
    if (n.name === primary || (!primary && n.name === majority)) continue;
    const o = byName.get(n.name);
    if (!o?.reachable) {
      problems.push(`replica ${n.name} is unreachable${o?.error ? `: ${o.error}` : ''}`);
      replicas.push({ name: n.name, linkUp: false, lagBytes: 0, syncing: false });
      continue;
    }
    if (o.role !== 'slave') continue; // reported above as an extra master
    const following = nodeName(t, o.masterHost, o.masterPort);
    const lagBytes = primaryObs ? Math.max(0, primaryObs.offset - o.offset) : 0;
    replicas.push({
      name: n.name,
      following,
      linkUp: o.linkUp === true,
      lagBytes,
      syncing: o.syncInProgress === true,
    });
    if (!primaryNode) continue;
    const s = syncOf(o, primaryObs, primaryNode, n, lagLimit);
    if (s.synced) continue;
    if (s.why === 'follows')
      problems.push(`replica ${n.name} follows ${following ?? '?'} instead of ${primaryNode.name}`);
    else problems.push(`replica ${n.name}${s.why === 'stream' ? ':' : ''} ${s.reason}`);
  }

  const expectReplicas = t.nodes.length - 1;
  const expectPeers = t.sentinels.length - 1;
  for (const s of obs.sentinels) {
    if (!s.reachable) {
      problems.push(`sentinel ${s.name} is unreachable${s.error ? `: ${s.error}` : ''}`);
      continue;
    }
    const view = sentinelViews[s.name];
    if (majority && view !== majority)
      problems.push(`sentinel ${s.name} names ${view ?? 'nothing'} instead of ${majority}`);
    if (s.tilt) problems.push(`sentinel ${s.name} is in TILT mode`);
    if (/\b[so]_down\b/.test(s.masterFlags ?? ''))
      problems.push(`sentinel ${s.name} flags the primary ${s.masterFlags ?? ''}`);
    if ((s.numReplicas ?? 0) < expectReplicas)
      problems.push(`sentinel ${s.name} knows ${s.numReplicas ?? 0}/${expectReplicas} replicas`);
    if ((s.numOtherSentinels ?? 0) < expectPeers)
      problems.push(
        `sentinel ${s.name} knows ${s.numOtherSentinels ?? 0}/${expectPeers} other sentinels`,
      );
    if (!s.quorumOk) problems.push(`sentinel ${s.name}: CKQUORUM failed: ${s.quorumText ?? '?'}`);
  }
  const agreeing = majority
    ? obs.sentinels.filter((s) => s.reachable && sentinelViews[s.name] === majority).length
    : 0;
  const sentinelReachable = obs.sentinels.filter((s) => s.reachable).length;
  return {
    healthy: problems.length === 0 && primary !== undefined,
    primary,
    sentinelViews,
    agreeing,
    sentinelReachable,
    replicas,
    problems,
  };
}

/** One event line per change of problem kinds, not per changing number or flag. */
export function problemKey(h: Health): string {
  if (h.healthy) return 'healthy';
  return h.problems
    .map((p) => p.replace(/flags the primary .*/, 'flags').replace(/\d+/g, 'N'))
    .join('|');
}
