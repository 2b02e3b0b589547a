/** Pure parsers for CLUSTER NODES, CLUSTER SHARDS and CLUSTER INFO replies (Redis 7.0). */
import { num, parseInfo } from '../redis/info.js';

export const SLOT_COUNT = 16384;

/** Inclusive, as Redis prints them. */
export interface SlotRange {
  start: number;
  end: number;
}

/** One line of CLUSTER NODES (the nodes.conf format): one node as the answering node sees it. */
export interface ClusterNodeEntry {
  id: string;
  /** Empty for a node without address (noaddr). */
  ip: string;
  port: number;
  busPort: number;
  hostname?: string | undefined;
  /** As printed, `fail?` included: myself, master, slave, fail?, fail, handshake, noaddr, ... */
  flags: readonly string[];
  myself: boolean;
  role: 'primary' | 'replica';
  /** The primary's id, for a replica. */
  primaryId?: string | undefined;
  pingSent: number;
  pongReceived: number;
  /** For a replica Redis prints its primary's. */
  configEpoch: number;
  linkConnected: boolean;
  slots: readonly SlotRange[];
  /** Open slots, only on the `myself` line: [slot->-id] and [slot-<-id]. */
  migrating: readonly { slot: number; to: string }[];
  importing: readonly { slot: number; from: string }[];
}

export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map(parseNodeLine);
}

function parseNodeLine(line: string): ClusterNodeEntry {
  const [id = '', address = '', flagText = '', primary = '-', ping, pong, epoch, link, ...rest] =
    line.split(' ');
  const [hostPort = '', hostname] = address.split(',');
  const at = hostPort.lastIndexOf('@');
  const colon = hostPort.lastIndexOf(':', at < 0 ? undefined : at);
  const flags = flagText.split(',').filter((f) => f && f !== 'noflags');
  const migrating: { slot: number; to: string }[] = [];
  const importing: { slot: number; from: string }[] = [];
  const slots: SlotRange[] = [];
  for (const r of rest) {
    const open = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(r);
    if (open) {
      if (open[2] === '>') migrating.push({ slot: Number(open[1]), to: open[3] ?? '' });
      else importing.push({ slot: Number(open[1]), from: open[3] ?? '' });
      continue;
    }
    const [a, b] = r.split('-');
    if (a !== undefined && /^\d+$/.test(a)) slots.push({ start: Number(a), end: Number(b ?? a) });
  }
  return {
    id,
    ip: hostPort.slice(0, colon),
    port: Number(hostPort.slice(colon + 1, at < 0 ? undefined : at)),
    busPort: at < 0 ? 0 : Number(hostPort.slice(at + 1)),
    hostname: hostname || undefined,
    flags,
    myself: flags.includes('myself'),
    role: flags.includes('slave') ? 'replica' : 'primary',
    primaryId: primary === '-' ? undefined : primary,
    pingSent: Number(ping ?? 0),
    pongReceived: Number(pong ?? 0),
    configEpoch: Number(epoch ?? 0),
    linkConnected: link === 'connected',
    slots,
    migrating,
    importing,
  };
}

/** One node of a CLUSTER SHARDS entry. */
export interface ShardNodeEntry {
  id: string;
  port?: number | undefined;
  tlsPort?: number | undefined;
  ip: string;
  endpoint: string;
  hostname?: string | undefined;
  role: 'primary' | 'replica';
  replicationOffset: number;
  health: 'online' | 'failed' | 'loading';
}

export interface ShardEntry {
  slots: readonly SlotRange[];
  nodes: readonly ShardNodeEntry[];
}

/** RESP2 maps arrive as flat [k1, v1, k2, v2, ...] arrays (RESP3 as objects). */
function record(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < v.length; i += 2) out[String(v[i])] = v[i + 1];
    return out;
  }
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

const optNum = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
/** A bulk string or integer field; anything else (absent, nested) is empty. */
const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number'
    ? String(v)
    : Buffer.isBuffer(v)
      ? v.toString()
      : '';

export function parseClusterShards(reply: unknown): ShardEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((s) => {
    const r = record(s);
    const flat = Array.isArray(r.slots) ? r.slots.map(Number) : [];
    const slots: SlotRange[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      slots.push({ start: flat[i] ?? 0, end: flat[i + 1] ?? 0 });
    const nodes = (Array.isArray(r.nodes) ? r.nodes : []).map((n): ShardNodeEntry => {
      const f = record(n);
      const health = str(f.health);
      return {
        id: str(f.id),
        port: optNum(f.port),
        tlsPort: optNum(f['tls-port']),
        ip: str(f.ip),
        endpoint: str(f.endpoint),
        hostname: str(f.hostname) || undefined,
        role: f.role === 'master' ? 'primary' : 'replica',
        replicationOffset: Number(f['replication-offset'] ?? 0),
        health: health === 'failed' || health === 'loading' ? health : 'online',
      };
    });
    return { slots, nodes };
  });
}

export interface ClusterInfo {
  state: 'ok' | 'fail';
  slotsAssigned: number;
  slotsOk: number;
  slotsPfail: number;
  slotsFail: number;
  knownNodes: number;
  /** Primaries that own slots. */
  size: number;
  currentEpoch: number;
  myEpoch: number;
}

export function parseClusterInfo(text: string): ClusterInfo {
  const i = parseInfo(text);
  return {
    state: i.cluster_state === 'ok' ? 'ok' : 'fail',
    slotsAssigned: num(i, 'cluster_slots_assigned'),
    slotsOk: num(i, 'cluster_slots_ok'),
    slotsPfail: num(i, 'cluster_slots_pfail'),
    slotsFail: num(i, 'cluster_slots_fail'),
    knownNodes: num(i, 'cluster_known_nodes'),
    size: num(i, 'cluster_size'),
    currentEpoch: num(i, 'cluster_current_epoch'),
    myEpoch: num(i, 'cluster_my_epoch'),
  };
}

/** Slots 0-16383 split as `redis-cli --cluster create` does (float cursor, lround). */
export function splitSlots(primaries: number): SlotRange[] {
  const per = Math.fround(SLOT_COUNT / primaries);
  const out: SlotRange[] = [];
  let first = 0;
  let cursor = Math.fround(0);
  for (let i = 0; i < primaries; i++) {
    let last = Math.round(Math.fround(cursor + per - 1));
    if (last > SLOT_COUNT || i === primaries - 1) last = SLOT_COUNT - 1;
    if (last < first) last = first;
    out.push({ start: first, end: last });
    first = last + 1;
    cursor = Math.fround(cursor + per);
  }
  return out;
}

export function slotCount(ranges: readonly SlotRange[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start + 1, 0);
}

export function formatSlots(ranges: readonly SlotRange[]): string {
  return ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
}
