/**
 * The pure cluster analysis: snapshots of every node (its CLUSTER INFO, its CLUSTER NODES view,
 * its replication state) folded into one view per shard. No I/O: recorded replies in, a view out,
 * so the same function serves `up`, `status`, and the later cluster view and controller.
 */
import type { ReplicaAck } from '../redis/info.js';
import { majorityNeeded } from '../topology/majority.js';
import type { ShardSpec } from '../topology/model.js';
import {
  SLOT_COUNT,
  slotCount,
  type ClusterInfo,
  type ClusterNodeEntry,
  type SlotRange,
} from './parse.js';
import { majorityMap, flagsSeen, meshProblems, type SlotMapVerdict } from './agreement.js';

export interface ReplicationState {
  role: 'primary' | 'replica';
  /** master_repl_offset of a primary; the offset a replica has processed. */
  offset: number;
  linkUp?: boolean | undefined;
  syncing?: boolean | undefined;
  /** A primary's view of its replicas: state and last acknowledged offset. */
  acks: readonly ReplicaAck[];
}

/** One node, looked at once. `host`/`port`: the address peers know it by (announced, if set). */
export interface NodeSnapshot {
  name: string;
  host: string;
  port: number;
  /** ms timestamp of the look. */
  at: number;
  reachable: boolean;
  error?: string | undefined;
  myId?: string | undefined;
  info?: ClusterInfo | undefined;
  nodes?: readonly ClusterNodeEntry[] | undefined;
  replication?: ReplicationState | undefined;
}

export interface MemberView {
  name: string;
  shard: string;
  id?: string | undefined;
  address: string;
  reachable: boolean;
  role: 'primary' | 'replica' | 'unknown';
  /** A replica's primary, by member name (or id when it is not a member). */
  following?: string | undefined;
  offset: number;
  /** A replica's bytes behind its primary (both looked at once, so approximate under load). */
  lagBytes: number | null;
  linkUp: boolean | null;
  /** A replica's state as its primary lists it: online, wait_bgsave, send_bulk (null: not listed). */
  primarySees: string | null;
  /** A full sync under way: the replica says so, or its primary prepares or sends the RDB. */
  syncing: boolean;
  /** Its primary has an acknowledgement from it after its sync (the stream flows). */
  streamConfirmed: boolean;
  /** The strict rule: link up, not syncing, caught up, stream confirmed. */
  synced: boolean;
  /** What its peers say of it: pfail ("fail?"), fail, handshake, noaddr, nofailover. */
  flags: readonly string[];
  /** How many reachable peers flag it pfail / fail. */
  pfailBy: number;
  failBy: number;
  clusterState: 'ok' | 'fail' | null;
  /** Slots by state as this node counts them (CLUSTER INFO), when it answered. */
  slotStates: { assigned: number; ok: number; pfail: number; fail: number } | null;
  /** Its slot map is the majority's. */
  agrees: boolean | null;
  configEpoch: number | null;
  currentEpoch: number | null;
  knownNodes: number | null;
}

export interface ShardView {
  name: string;
  slots: readonly SlotRange[];
  slotCount: number;
  /** The member the majority's slot map names as owner of the shard's slots. */
  primary?: string | undefined;
  primaryId?: string | undefined;
  /** Named by the majority, reachable, says it is a primary, flagged by nobody. */
  primaryConfirmed: boolean;
  configEpoch?: number | undefined;
  members: readonly MemberView[];
  replicasSynced: number;
  replicasDeclared: number;
  /** ok; degraded: serving with fewer synced replicas than declared; failing/down: not serving. */
  state: 'ok' | 'degraded' | 'failing' | 'down';
  problems: readonly string[];
}

export interface ClusterView {
  at: number;
  healthy: boolean;
  problems: readonly string[];
  shards: readonly ShardView[];
  slotMap: SlotMapVerdict;
  epochs: { distinct: boolean; agreed: boolean };
  /** Slot-owning primaries of the majority map: reachable and unflagged ones, and the majority. */
  primaries: { total: number; reachable: number; needed: number; quorum: boolean };
}

export interface AnalyzeOptions {
  /** Replicas whose stream the primary confirmed (PUBLISH/probe + WAIT); else its acks decide. */
  confirmed?: ReadonlySet<string> | undefined;
  /** false: a replica may trail its primary (a cluster taking writes) and still be synced. */
  strictOffsets?: boolean | undefined;
}

export function analyzeCluster(
  layout: readonly ShardSpec[],
  snaps: readonly NodeSnapshot[],
  o: AnalyzeOptions = {},
): ClusterView {
  const map = majorityMap(snaps);
  const ref = map.reference ?? [];
  const idOf = (s: NodeSnapshot): string | undefined =>
    s.myId ?? snaps.flatMap((x) => x.nodes ?? []).find((e) => addrOf(e) === addr(s))?.id;
  const nameOf = (id: string | undefined): string | undefined =>
    id === undefined ? undefined : snaps.find((s) => idOf(s) === id)?.name;
  const bySnap = new Map(snaps.map((s) => [s.name, s]));
  const members = (names: readonly string[]): NodeSnapshot[] =>
    names.flatMap((n) => bySnap.get(n) ?? []);
  const shards = layout.map((spec) =>
    shardView(spec, members([spec.primary, ...spec.replicas]), {
      ref,
      snaps,
      idOf,
      nameOf,
      map,
      o,
    }),
  );
  const owners = ref.filter((e) => e.role === 'primary' && e.slots.length > 0);
  const flagged = (id: string): boolean =>
    snaps.some((s) => s.myId === id && !s.reachable) ||
    snaps.some((s) => (s.nodes ?? []).some((e) => e.id === id && !e.myself && isDown(e)));
  const reachable = owners.filter((e) => !flagged(e.id)).length;
  // Redis Cluster's own rule (clusterUpdateState: size / 2 + 1) is redis-ha's majority.
  const needed = majorityNeeded(owners.length);
  const epochs = owners.map((e) => e.configEpoch);
  const view: Omit<ClusterView, 'healthy' | 'problems'> = {
    at: Math.max(0, ...snaps.map((s) => s.at)),
    shards,
    slotMap: map.verdict,
    epochs: {
      distinct: new Set(epochs).size === epochs.length,
      agreed: epochsAgree(snaps, owners),
    },
    primaries: { total: owners.length, reachable, needed, quorum: reachable >= needed },
  };
  const problems = clusterProblems(view, snaps, layout);
  return { ...view, healthy: problems.length === 0, problems };
}

const addr = (s: { host: string; port: number }): string => `${s.host}:${s.port}`;
const addrOf = (e: ClusterNodeEntry): string => `${e.ip}:${e.port}`;
const isDown = (e: ClusterNodeEntry): boolean =>
  e.flags.includes('fail') || e.flags.includes('fail?');

/** Every reachable node prints the same configEpoch for each slot owner. */
function epochsAgree(snaps: readonly NodeSnapshot[], owners: readonly ClusterNodeEntry[]): boolean {
  return snaps
    .filter((s) => s.reachable && s.nodes)
    .every((s) =>
      owners.every(
        (o) => (s.nodes ?? []).find((e) => e.id === o.id)?.configEpoch === o.configEpoch,
      ),
    );
}

interface Ctx {
  ref: readonly ClusterNodeEntry[];
  snaps: readonly NodeSnapshot[];
  idOf: (s: NodeSnapshot) => string | undefined;
  nameOf: (id: string | undefined) => string | undefined;
  map: ReturnType<typeof majorityMap>;
  o: AnalyzeOptions;
}

function shardView(spec: ShardSpec, snaps: readonly NodeSnapshot[], c: Ctx): ShardView {
  const ids = snaps.map((s) => c.idOf(s));
  const owner = c.ref
    .filter((e) => e.role === 'primary' && e.slots.length > 0 && ids.includes(e.id))
    .sort((a, b) => slotCount(b.slots) - slotCount(a.slots))[0];
  const primarySnap = snaps.find((s) => owner && c.idOf(s) === owner.id);
  const members = snaps.map((s) => memberView(s, spec.name, primarySnap, c));
  const primary = members.find((m) => m.name === primarySnap?.name);
  const primaryConfirmed =
    !!primary && primary.reachable && primary.role === 'primary' && primary.flags.length === 0;
  const replicas = members.filter((m) => m !== primary);
  const synced = replicas.filter((m) => m.synced && m.following === primary?.name).length;
  const problems: string[] = [];
  if (!owner) problems.push(`${spec.name}: no member owns slots in the majority's slot map`);
  else if (!primaryConfirmed)
    problems.push(`${spec.name}: primary ${primary?.name ?? owner.id} is ${describe(primary)}`);
  for (const r of replicas)
    if (!r.synced)
      problems.push(`${spec.name}: replica ${r.name} is ${replicaState(r, primary?.name)}`);
  const state = !owner
    ? 'down'
    : !primaryConfirmed
      ? 'failing'
      : synced < spec.replicas.length
        ? 'degraded'
        : 'ok';
  return {
    name: spec.name,
    slots: owner?.slots ?? [],
    slotCount: owner ? slotCount(owner.slots) : 0,
    primary: primarySnap?.name,
    primaryId: owner?.id,
    primaryConfirmed,
    configEpoch: owner?.configEpoch,
    members,
    replicasSynced: synced,
    replicasDeclared: spec.replicas.length,
    state,
    problems,
  };
}

function memberView(
  s: NodeSnapshot,
  shard: string,
  primary: NodeSnapshot | undefined,
  c: Ctx,
): MemberView {
  const id = c.idOf(s);
  const self = s.nodes?.find((e) => e.myself) ?? c.ref.find((e) => e.id === id);
  const seen = flagsSeen(c.snaps, id);
  const rep = s.replication;
  const role = rep?.role ?? self?.role ?? 'unknown';
  const isReplica = role === 'replica';
  const lag =
    isReplica && rep && primary?.replication && primary.reachable
      ? Math.max(0, primary.replication.offset - rep.offset)
      : null;
  const ack = primary?.replication?.acks.find((a) => a.port === s.port && a.ip === s.host);
  const streamConfirmed =
    isReplica && (c.o.confirmed?.has(s.name) ?? (ack?.state === 'online' && ack.offset > 0));
  const caughtUp = lag !== null && (lag === 0 || c.o.strictOffsets === false);
  const syncing =
    !!rep?.syncing || (isReplica && (ack?.state === 'wait_bgsave' || ack?.state === 'send_bulk'));
  return {
    name: s.name,
    shard,
    id,
    address: addr(s),
    reachable: s.reachable,
    role: s.reachable || self ? role : 'unknown',
    following: isReplica ? (c.nameOf(self?.primaryId) ?? self?.primaryId) : undefined,
    offset: rep?.offset ?? 0,
    lagBytes: lag,
    linkUp: isReplica ? (rep?.linkUp ?? false) : null,
    primarySees: isReplica ? (ack?.state ?? null) : null,
    syncing,
    streamConfirmed,
    synced: isReplica && s.reachable && !!rep?.linkUp && !syncing && caughtUp && streamConfirmed,
    flags: seen.flags,
    pfailBy: seen.pfailBy,
    failBy: seen.failBy,
    clusterState: s.info?.state ?? null,
    slotStates: s.info
      ? {
          assigned: s.info.slotsAssigned,
          ok: s.info.slotsOk,
          pfail: s.info.slotsPfail,
          fail: s.info.slotsFail,
        }
      : null,
    agrees: s.reachable && s.nodes ? c.map.verdict.dissenting.every((d) => d !== s.name) : null,
    configEpoch: self ? self.configEpoch : null,
    currentEpoch: s.info?.currentEpoch ?? null,
    knownNodes: s.info?.knownNodes ?? null,
  };
}

function describe(m: MemberView | undefined): string {
  if (!m) return 'not a declared member of the shard';
  if (!m.reachable) return 'unreachable';
  if (m.flags.length) return `flagged ${m.flags.join(',')}`;
  return `answering as ${m.role}`;
}

function replicaState(r: MemberView, primary: string | undefined): string {
  if (!r.reachable) return 'unreachable';
  if (r.role !== 'replica') return `a ${r.role} (not replicating)`;
  if (r.following !== primary)
    return `following ${r.following ?? 'nothing'}, not ${primary ?? '?'}`;
  if (!r.linkUp) return 'not linked to its primary';
  if (r.syncing) return 'syncing';
  if (r.lagBytes === null || r.lagBytes > 0) return `${r.lagBytes ?? '?'} bytes behind`;
  return 'not yet acknowledged by its primary (stream not confirmed)';
}

function clusterProblems(
  v: Omit<ClusterView, 'healthy' | 'problems'>,
  snaps: readonly NodeSnapshot[],
  layout: readonly ShardSpec[],
): string[] {
  const p: string[] = [];
  const total = layout.reduce((n, s) => n + 1 + s.replicas.length, 0);
  for (const s of snaps) {
    if (!s.reachable) p.push(`${s.name}: unreachable${s.error ? ` (${s.error})` : ''}`);
    else if (s.info?.state !== 'ok') p.push(`${s.name}: cluster_state ${s.info?.state ?? '?'}`);
    if (s.reachable && s.info && s.info.knownNodes !== total)
      p.push(`${s.name}: knows ${s.info.knownNodes} nodes, expected ${total}`);
    const self = s.nodes?.find((e) => e.myself);
    if (self && (self.migrating.length || self.importing.length))
      p.push(
        `${s.name}: open slots (migrating ${self.migrating.length}, importing ${self.importing.length})`,
      );
  }
  const m = v.slotMap;
  if (!m.agreed)
    p.push(`slot map: ${m.dissenting.join(', ') || 'no majority'} disagree with the majority`);
  if (m.assigned < SLOT_COUNT) p.push(`slot map: ${SLOT_COUNT - m.assigned} slots unassigned`);
  if (!v.epochs.distinct) p.push('config epochs: two primaries share one');
  if (!v.epochs.agreed) p.push("config epochs: nodes disagree on a primary's");
  if (!v.primaries.quorum)
    p.push(
      `primaries: ${v.primaries.reachable} of ${v.primaries.total} reachable, ${v.primaries.needed} needed`,
    );
  p.push(...meshProblems(snaps));
  for (const s of v.shards) p.push(...s.problems);
  for (const s of v.shards)
    for (const mv of s.members)
      if (mv.flags.length && mv.name !== s.primary)
        p.push(`${mv.name}: flagged ${mv.flags.join(',')}`);
  return [...new Set(p)];
}
