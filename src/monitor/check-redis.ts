import { withCluster } from './check-cluster.js';
import { askSentinels, auth, connectAuthed, sentinelVerdict } from './check-peers.js';
import { LiteClient, ReplyError, type LiteOptions } from '../redis/lite-client.js';
import {
  CRITICAL,
  evaluate,
  OK,
  stopwatch,
  type Finding,
  type Perf,
  type State,
  type Thresholds,
} from './nagios.js';

export type RoleWanted = 'primary' | 'replica' | 'any';

export interface CheckRedisOptions {
  conn: LiteOptions;
  user?: string | undefined;
  password?: string | undefined;
  role: RoleWanted;
  /** Check the node against the sentinel majority (split brain). */
  sentinels: { host: string; port: number }[];
  masterName: string;
  sentinelPassword?: string | undefined;
  /** --cluster: every shard of the cluster, from this node (a seed). */
  cluster: boolean;
  /** Bound on each peer a cluster check asks. */
  peerTimeoutMs: number;
  t: {
    response: Thresholds;
    memory: Thresholds;
    clients: Thresholds;
    blocked: Thresholds;
    rejected: Thresholds;
    evicted: Thresholds;
    fork: Thresholds;
    linkDown: Thresholds;
    lag: Thresholds;
    lagBytes: Thresholds;
    replicas: Thresholds;
  };
}

export interface CheckResult {
  findings: Finding[];
  perf: Perf[];
  okText: string;
}

/** `INFO` text -> fields. */
export function parseInfoText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** `slave0:ip=...,port=...,state=online,offset=...,lag=...` */
export function replicaLines(info: Record<string, string>): Record<string, string>[] {
  return Object.entries(info)
    .filter(([k]) => /^slave\d+$/.test(k))
    .map(([, v]) =>
      Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string])),
    );
}

const n = (info: Record<string, string>, k: string): number => Number(info[k] ?? 0);

/** Thresholds with nothing set default to the given state when `bad` is true. */
function judged(t: Thresholds, value: number, fallback: State, bad: boolean): State {
  if (t.warn || t.crit) return evaluate(t, value);
  return bad ? fallback : OK;
}

/** Every figure and state from one node's INFO (and its primary's, for a replica). Pure. */
export function analyzeNode(
  o: CheckRedisOptions,
  info: Record<string, string>,
  responseMs: number,
  primaryInfo?: Record<string, string>,
): CheckResult {
  const findings: Finding[] = [];
  const perf: Perf[] = [];
  const add = (state: State, text: string): void => void findings.push({ state, text });
  const role = info.role === 'master' ? 'primary' : 'replica';

  add(evaluate(o.t.response, responseMs), `response time ${responseMs.toFixed(1)}ms`);
  perf.push({
    label: 'response_time',
    value: responseMs / 1000,
    uom: 's',
    min: 0,
    thresholds: msToS(o.t.response),
  });
  if (o.role !== 'any' && o.role !== role) add(CRITICAL, `role is ${role}, expected ${o.role}`);
  else add(OK, `role ${role}`);

  const used = n(info, 'used_memory');
  const max = n(info, 'maxmemory');
  perf.push({
    label: 'used_memory',
    value: used,
    uom: 'B',
    min: 0,
    max: max > 0 ? max : undefined,
  });
  if (max > 0) {
    const pct = (used / max) * 100;
    add(evaluate(o.t.memory, pct), `memory ${pct.toFixed(1)}% of maxmemory`);
    perf.push({
      label: 'memory_used_pct',
      value: Number(pct.toFixed(2)),
      uom: '%',
      thresholds: o.t.memory,
      min: 0,
      max: 100,
    });
  } else add(OK, 'maxmemory 0 (no limit): memory % not checked');

  /** One figure: judged against its thresholds, and in the perfdata. */
  const measure = (
    label: string,
    value: number,
    t: Thresholds,
    text: string,
    uom: Perf['uom'] = '',
  ): void => {
    add(evaluate(t, value), text);
    perf.push({ label, value, uom, thresholds: t, min: 0 });
  };
  const gauge = (
    label: string,
    key: string,
    t: Thresholds,
    what: string,
    uom?: Perf['uom'],
  ): void => measure(label, n(info, key), t, `${what} ${n(info, key)}`, uom);
  gauge('connected_clients', 'connected_clients', o.t.clients, 'connected clients');
  gauge('blocked_clients', 'blocked_clients', o.t.blocked, 'blocked clients');
  gauge('rejected_connections', 'rejected_connections', o.t.rejected, 'rejected connections', 'c');
  gauge('evicted_keys', 'evicted_keys', o.t.evicted, 'evicted keys', 'c');
  const forkMs = n(info, 'latest_fork_usec') / 1000;
  add(evaluate(o.t.fork, forkMs), `latest fork ${forkMs.toFixed(1)}ms`);
  perf.push({
    label: 'latest_fork',
    value: forkMs / 1000,
    uom: 's',
    thresholds: msToS(o.t.fork),
    min: 0,
  });

  if (info.rdb_last_bgsave_status && info.rdb_last_bgsave_status !== 'ok')
    add(CRITICAL, `last RDB save failed (${info.rdb_last_bgsave_status})`);
  if (
    info.aof_enabled === '1' &&
    (info.aof_last_write_status !== 'ok' || info.aof_last_bgrewrite_status !== 'ok')
  )
    add(
      CRITICAL,
      `AOF write ${info.aof_last_write_status ?? '?'}, rewrite ${info.aof_last_bgrewrite_status ?? '?'}`,
    );

  if (role === 'replica') {
    const up = info.master_link_status === 'up';
    const down = up ? 0 : n(info, 'master_link_down_since_seconds');
    add(
      up ? OK : judged(o.t.linkDown, down, CRITICAL, true),
      up
        ? `link to ${info.master_host}:${info.master_port} up`
        : `link to ${info.master_host}:${info.master_port} down for ${down}s`,
    );
    perf.push({
      label: 'master_link_down',
      value: down,
      uom: 's',
      thresholds: o.t.linkDown,
      min: 0,
    });
    const io = up ? n(info, 'master_last_io_seconds_ago') : down;
    measure('replica_lag', io, o.t.lag, `last I/O from the primary ${io}s ago`, 's');
    if (primaryInfo) {
      // tcp_port is 0 on a TLS-only node: the port we reached it on is the one it announces.
      const port = info.tcp_port && info.tcp_port !== '0' ? info.tcp_port : String(o.conn.port);
      const mine = replicaLines(primaryInfo).find((r) => r.port === port);
      const bytes = Math.max(
        0,
        n(primaryInfo, 'master_repl_offset') - n(info, 'slave_repl_offset'),
      );
      if (mine || up)
        measure('replica_lag_bytes', bytes, o.t.lagBytes, `${bytes} bytes behind`, 'B');
    }
  } else {
    const reps = replicaLines(info);
    const inSync = reps.filter((r) => r.state === 'online');
    const lag = Math.max(0, ...inSync.map((r) => Number(r.lag ?? 0)));
    const bytes = Math.max(
      0,
      ...inSync.map((r) => n(info, 'master_repl_offset') - Number(r.offset ?? 0)),
    );
    perf.push({ label: 'connected_replicas', value: reps.length, min: 0 });
    measure(
      'replicas_in_sync',
      inSync.length,
      o.t.replicas,
      `${inSync.length}/${reps.length} replicas in sync`,
    );
    if (inSync.length > 0) {
      measure('replica_lag', lag, o.t.lag, `replica lag ${lag}s`, 's');
      measure('replica_lag_bytes', bytes, o.t.lagBytes, `replica lag ${bytes} bytes`, 'B');
    }
  }
  const okText = `${role} ${info.redis_version ? `(Redis ${info.redis_version}) ` : ''}responding in ${responseMs.toFixed(1)}ms`;
  return { findings, perf, okText };
}

/** Perfdata in seconds from thresholds given in ms (the seed's -w/-c unit). */
function msToS(t: Thresholds): Thresholds {
  const conv = (r: Thresholds['warn']): Thresholds['warn'] =>
    r && { ...r, start: r.start / 1000, end: r.end / 1000, text: scaleText(r.text) };
  return { warn: conv(t.warn), crit: conv(t.crit) };
}

function scaleText(text: string): string {
  return text.replace(/-?\d+(\.\d+)?/g, (x) => String(Number(x) / 1000));
}

/** Runs the check; throws only on usage errors (connection problems are CRITICAL findings). */
export async function checkRedis(o: CheckRedisOptions): Promise<CheckResult> {
  const elapsed = stopwatch();
  let c: LiteClient;
  try {
    c = await LiteClient.connect(o.conn);
  } catch (e) {
    return fail(`cannot connect to ${o.conn.host}:${o.conn.port}: ${(e as Error).message}`);
  }
  try {
    // AUTH, PING and INFO in one write: a check is mostly round trips once Node has started.
    // (auth writes its AUTH before its first await, so the three go out in order.)
    const authed = auth(c, o.user, o.password);
    const pong = c.must('PING');
    const infoText = c.must('INFO');
    // Settled below or abandoned with the connection: never an unhandled rejection.
    for (const p of [authed, pong, infoText]) void p.catch(() => undefined);
    try {
      await authed;
      await pong;
    } catch (e) {
      return fail(
        e instanceof ReplyError
          ? `${e.message.split(' ')[0] ?? 'ERR'}: ${e.message}`
          : (e as Error).message,
      );
    }
    const responseMs = elapsed();
    const rawInfo = String(await infoText);
    const info = parseInfoText(rawInfo);
    let primaryInfo: Record<string, string> | undefined;
    if (info.role === 'slave' && info.master_host) {
      primaryInfo = await peerInfo(
        { ...o.conn, host: info.master_host, port: Number(info.master_port) },
        o,
      ).catch(() => undefined);
    }
    const r = analyzeNode(o, info, responseMs, primaryInfo);
    if (info.cluster_enabled === '1' || o.cluster)
      return await withCluster(o, c, r, rawInfo, (at) => connectAuthed(at, o));
    if (o.sentinels.length > 0) {
      const answers = await askSentinels(o);
      r.findings.push(
        sentinelVerdict(
          answers,
          { host: o.conn.host, port: o.conn.port },
          info.role === 'master' ? 'primary' : 'replica',
        ),
      );
    }
    return r;
  } finally {
    c.close();
  }
}

function fail(text: string): CheckResult {
  return { findings: [{ state: CRITICAL, text }], perf: [], okText: '' };
}

async function peerInfo(conn: LiteOptions, o: CheckRedisOptions): Promise<Record<string, string>> {
  const c = await connectAuthed(conn, o);
  try {
    return parseInfoText(String(await c.must('INFO', 'replication')));
  } finally {
    c.close();
  }
}
