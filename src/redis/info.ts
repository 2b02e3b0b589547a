/** Pure parsers for INFO and Sentinel replies. */

export type InfoMap = Readonly<Record<string, string>>;

export function parseInfo(text: string): InfoMap {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Sentinel returns flat [k1, v1, k2, v2, ...] arrays for MASTER/REPLICAS/SENTINELS. */
export function pairsToRecord(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** A list of such replies (SENTINEL REPLICAS, SENTINELS); anything else is an empty list. */
export function pairsList(reply: unknown): Record<string, string>[] {
  return Array.isArray(reply) ? reply.map(pairsToRecord) : [];
}

export function num(info: InfoMap | Record<string, string>, key: string, fallback = 0): number {
  const v = info[key];
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
}

export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v=(\d+)\.(\d+)\.(\d+)/.exec(text) ?? /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export interface ReplicaAck {
  ip: string;
  port: number;
  state: string;
  /** Last offset the replica acknowledged to the primary. */
  offset: number;
  /** Seconds since its last acknowledgement. */
  lag?: number | undefined;
}

/** The primary's `slaveN:ip=..,port=..,state=..,offset=..,lag=..` lines. */
export function parseReplicaAcks(info: InfoMap): ReplicaAck[] {
  const out: ReplicaAck[] = [];
  for (const [k, v] of Object.entries(info)) {
    if (!/^slave\d+$/.test(k)) continue;
    const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
    out.push({
      ip: f.ip ?? '',
      port: Number(f.port),
      state: f.state ?? '',
      offset: Number(f.offset),
      lag: f.lag === undefined ? undefined : Number(f.lag),
    });
  }
  return out;
}
