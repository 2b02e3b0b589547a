/**
 * check_redis on a Redis Cluster node: the cluster's pure analysis (src/cluster/analyze.ts, the
 * same majority slot map and the same strict "synced" rule as `up`, `status` and the controller)
 * turned into Nagios findings and perfdata. No topology file: shards are read from the node's
 * CLUSTER NODES and named by their slots, which stay with the shard across failovers. Pure.
 */
import type { ClusterView, NodeSnapshot, ShardView } from '../cluster/analyze.js';
import {
  formatSlots,
  SLOT_COUNT,
  type ClusterInfo,
  type ClusterNodeEntry,
} from '../cluster/parse.js';
import { majorityNeeded } from '../topology/majority.js';
import type { ShardSpec } from '../topology/model.js';
import type { CheckResult } from './check-redis.js';
import { CRITICAL, OK, WARNING, type Finding, type Perf, type State } from './nagios.js';

/** How the plugin names a node: the address the cluster knows it by. */
export function entryName(e: Pick<ClusterNodeEntry, 'ip' | 'port'>, fallbackHost = ''): string {
  return `${e.ip || fallbackHost}:${e.port}`;
}

/** The shards one node's CLUSTER NODES shows: each slot-owning primary and its replicas. */
export function shardsFrom(nodes: readonly ClusterNodeEntry[], fallbackHost = ''): ShardSpec[] {
  return nodes
    .filter((e) => e.role === 'primary' && e.slots.length > 0)
    .sort((a, b) => (a.slots[0]?.start ?? 0) - (b.slots[0]?.start ?? 0))
    .map((p) => ({
      name: `slots ${formatSlots(p.slots)}`,
      primary: entryName(p, fallbackHost),
      replicas: nodes
        .filter((r) => r.role === 'replica' && r.primaryId === p.id)
        .map((r) => entryName(r, fallbackHost)),
    }));
}

/** The peers worth asking: every node with an address that is not in a handshake. */
export function peersFrom(nodes: readonly ClusterNodeEntry[]): ClusterNodeEntry[] {
  return nodes.filter(
    (e) => !e.myself && e.ip && !e.flags.includes('noaddr') && !e.flags.includes('handshake'),
  );
}

function collect(): {
  findings: Finding[];
  perf: Perf[];
  add: (state: State, text: string) => void;
} {
  const findings: Finding[] = [];
  return { findings, perf: [], add: (state, text) => void findings.push({ state, text }) };
}

/** cluster_state and the slots by state, as one node counts them. */
function slotFindings(info: ClusterInfo, add: (s: State, t: string) => void, perf: Perf[]): void {
  add(info.state === 'ok' ? OK : CRITICAL, `cluster_state ${info.state}`);
  const unassigned = SLOT_COUNT - info.slotsAssigned;
  if (unassigned > 0) add(CRITICAL, `${unassigned} slots unassigned`);
  add(info.slotsFail > 0 ? CRITICAL : OK, `${info.slotsFail} slots fail`);
  add(info.slotsPfail > 0 ? WARNING : OK, `${info.slotsPfail} slots pfail`);
  const slots = (label: string, value: number): void =>
    void perf.push({ label, value, min: 0, max: SLOT_COUNT });
  slots('cluster_slots_assigned', info.slotsAssigned);
  slots('cluster_slots_ok', info.slotsOk);
  slots('cluster_slots_pfail', info.slotsPfail);
  slots('cluster_slots_fail', info.slotsFail);
  perf.push({ label: 'cluster_known_nodes', value: info.knownNodes, min: 0 });
}

/** A shard's primary and synced replicas: CRITICAL without a primary, WARNING without a copy. */
function shardFinding(s: ShardView): Finding {
  const primary = s.primary ?? s.primaryId ?? '?';
  if (s.state === 'down' || s.state === 'failing')
    return { state: CRITICAL, text: `shard ${s.name}: ${s.problems[0] ?? s.state}` };
  if (s.replicasSynced === 0) {
    const why =
      s.replicasDeclared === 0
        ? 'none listed'
        : s.problems.map((p) => p.slice(p.indexOf(': ') + 2)).join(', ');
    return {
      state: WARNING,
      text: `shard ${s.name} (primary ${primary}): no synced replica${why ? ` (${why})` : ''}`,
    };
  }
  return {
    state: OK,
    text: `shard ${s.name} (primary ${primary}): ${s.replicasSynced}/${s.replicasDeclared} replicas synced`,
  };
}

/** The slot map: the node agrees with the majority of the nodes that answered. */
function agreementFindings(
  v: ClusterView,
  snaps: readonly NodeSnapshot[],
  me: string | undefined,
  add: (s: State, t: string) => void,
  perf: Perf[],
): void {
  const answered = snaps.filter((s) => s.reachable && s.nodes).length;
  const { majoritySize, dissenting } = v.slotMap;
  const needed = majorityNeeded(snaps.length);
  perf.push({ label: 'nodes_answered', value: answered, min: 0, max: snaps.length });
  perf.push({ label: 'slot_map_agreeing', value: majoritySize, min: 0, max: answered });
  if (me !== undefined && dissenting.includes(me))
    add(
      CRITICAL,
      `slot map differs from the majority's (${majoritySize} of ${answered} nodes share another)`,
    );
  else if (me === undefined && dissenting.length > 0)
    add(CRITICAL, `slot map: ${dissenting.join(', ')} disagree with the majority`);
  if (majoritySize < needed)
    add(
      WARNING,
      `no majority slot map: ${majoritySize} of ${snaps.length} known nodes agree (${answered} answered, ${needed} needed)`,
    );
  else add(OK, `slot map agreed by ${majoritySize} of ${snaps.length} nodes`);
}

/** check_redis on one cluster node: its cluster_state and slots, its shard, its slot map. */
export function nodeClusterFindings(
  v: ClusterView,
  snaps: readonly NodeSnapshot[],
  me: string,
  info: ClusterInfo,
): Pick<CheckResult, 'findings' | 'perf'> {
  const { findings, perf, add } = collect();
  slotFindings(info, add, perf);
  const shard = v.shards.find((s) => s.members.some((m) => m.name === me));
  if (shard) {
    findings.push(shardFinding(shard));
    perf.push({ label: 'shard_replicas_synced', value: shard.replicasSynced, min: 0 });
  } else add(WARNING, `${me} is in no shard (a primary without slots, or its replica)`);
  agreementFindings(v, snaps, me, add, perf);
  return { findings, perf };
}

/** check_redis --cluster: every shard, every node, from one seed. */
export function wholeClusterFindings(
  v: ClusterView,
  snaps: readonly NodeSnapshot[],
  seed: ClusterInfo,
): Pick<CheckResult, 'findings' | 'perf'> {
  const { findings, perf, add } = collect();
  slotFindings(seed, add, perf);
  findings.push(...v.shards.map(shardFinding));
  for (const s of snaps) {
    if (!s.reachable) add(WARNING, `${s.name} unreachable${s.error ? ` (${s.error})` : ''}`);
    else if (s.info?.state === 'fail') add(CRITICAL, `${s.name}: cluster_state fail`);
  }
  if (!v.primaries.quorum)
    add(
      CRITICAL,
      `only ${v.primaries.reachable} of ${v.primaries.total} slot-owning primaries up, ${v.primaries.needed} needed`,
    );
  agreementFindings(v, snaps, undefined, add, perf);
  const count = (state: ShardView['state']): number =>
    v.shards.filter((s) => s.state === state).length;
  perf.push({ label: 'shards', value: v.shards.length, min: 0 });
  perf.push({ label: 'shards_ok', value: count('ok'), min: 0 });
  perf.push({ label: 'shards_degraded', value: count('degraded'), min: 0 });
  perf.push({ label: 'shards_failing', value: count('failing') + count('down'), min: 0 });
  return { findings, perf };
}

export function clusterOkText(v: ClusterView, snaps: readonly NodeSnapshot[]): string {
  const up = snaps.filter((s) => s.reachable).length;
  return `cluster of ${v.shards.length} shards, ${up}/${snaps.length} nodes answering, slot map agreed`;
}
