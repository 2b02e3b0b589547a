import { LiteClient, type LiteOptions, type Reply } from '../redis/lite-client.js';
import { TLS_OPTIONS, hostPort, parsePluginArgs, range } from './check-args.js';
import { parseInfoText, type CheckResult } from './check-redis.js';
import {
  CRITICAL,
  evaluate,
  OK,
  stopwatch,
  WARNING,
  type Finding,
  type Perf,
  type Range,
} from './nagios.js';

export const CHECK_SENTINEL_USAGE = `Usage: check_redis_sentinel -H HOST [-p PORT] [-P PASSWORD] [options]

Checks one Redis Sentinel for Nagios/Icinga (redis-ha): reachable and authenticated, not in TILT,
the master known and not s_down/o_down, SENTINEL CKQUORUM OK, and optionally the numbers of
sentinels and healthy replicas, and that every other sentinel names the same primary.
Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Ranges: 10, 10:, ~:10, 10:20, @10:20.

  -H, --host HOST                  sentinel (default 127.0.0.1)
  -p, --port PORT                  port (default 26379)
  -P, --password PASSWORD          sentinel password (or --password-file FILE, or REDISCLI_AUTH)
      --master-name NAME           (default mymaster)
      --sentinels-warning/--sentinels-critical RANGE  sentinels known for the master, itself included
      --replicas-warning/--replicas-critical RANGE    healthy replicas (link ok, not down)
      --all HOST:PORT,...          the other sentinels: all must name the same primary
      --tls                        TLS, with --cacert FILE, --cert FILE, --key FILE, --tls-insecure
  -t, --timeout SECONDS            UNKNOWN after this long (default 10)
  -v, --verbose; -h, --help; -V, --version`;

export interface CheckSentinelOptions {
  conn: LiteOptions;
  password: string | undefined;
  masterName: string;
  sentinels: { warn?: Range | undefined; crit?: Range | undefined };
  replicas: { warn?: Range | undefined; crit?: Range | undefined };
  all: { host: string; port: number }[];
}

export function parseSentinelArgs(
  argv: string[],
  env = process.env,
): {
  help: boolean;
  version: boolean;
  verbose: boolean;
  timeoutMs: number;
  options: CheckSentinelOptions;
} {
  const { s, port, head, password, tls } = parsePluginArgs(argv, {
    host: { type: 'string', short: 'H', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', default: '26379' },
    password: { type: 'string', short: 'P' },
    'password-file': { type: 'string' },
    ...TLS_OPTIONS,
    'master-name': { type: 'string', default: 'mymaster' },
    'sentinels-warning': { type: 'string' },
    'sentinels-critical': { type: 'string' },
    'replicas-warning': { type: 'string' },
    'replicas-critical': { type: 'string' },
    all: { type: 'string' },
    timeout: { type: 'string', short: 't', default: '10' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  });
  const r = (k: string): ReturnType<typeof range> => range(s(k));
  return {
    ...head,
    options: {
      conn: { host: s('host') ?? '127.0.0.1', port, tls },
      password: password(env),
      masterName: s('master-name') ?? 'mymaster',
      sentinels: { warn: r('sentinels-warning'), crit: r('sentinels-critical') },
      replicas: { warn: r('replicas-warning'), crit: r('replicas-critical') },
      all: (s('all') ?? '').split(',').filter(Boolean).map(hostPort),
    },
  };
}

/** Flat [k, v, k, v] -> record. */
function record(r: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(r))
    for (let i = 0; i + 1 < r.length; i += 2) out[String(r[i])] = String(r[i + 1]);
  return out;
}

async function connect(conn: LiteOptions, password: string | undefined): Promise<LiteClient> {
  const c = await LiteClient.connect(conn);
  if (password) await c.must('AUTH', password);
  return c;
}

/** Pure: the findings from one sentinel's answers. */
export function analyzeSentinel(
  o: CheckSentinelOptions,
  a: {
    tilt: boolean;
    master: Record<string, string> | Error;
    ckquorum: Reply;
    replicas: Record<string, string>[];
  },
): { findings: Finding[]; perf: Perf[] } {
  const findings: Finding[] = [];
  const perf: Perf[] = [];
  findings.push(
    a.tilt
      ? { state: CRITICAL, text: 'in TILT mode (not acting)' }
      : { state: OK, text: 'not in TILT' },
  );
  perf.push({ label: 'tilt', value: a.tilt ? 1 : 0, min: 0, max: 1 });
  if (a.master instanceof Error) {
    findings.push({ state: CRITICAL, text: `master ${o.masterName}: ${a.master.message}` });
    return { findings, perf };
  }
  const m = a.master;
  const flags = m.flags ?? '';
  findings.push(
    /s_down|o_down/.test(flags)
      ? { state: CRITICAL, text: `primary ${m.ip}:${m.port} is ${flags}` }
      : { state: OK, text: `primary ${m.ip}:${m.port} (${flags})` },
  );
  findings.push(
    a.ckquorum instanceof Error
      ? { state: CRITICAL, text: `quorum: ${a.ckquorum.message}` }
      : { state: OK, text: `quorum: ${String(a.ckquorum)}` },
  );
  const known = Number(m['num-other-sentinels'] ?? 0) + 1;
  findings.push({ state: evaluate(o.sentinels, known), text: `${known} sentinels known` });
  perf.push({ label: 'sentinels', value: known, thresholds: o.sentinels, min: 0 });
  const healthy = a.replicas.filter(
    (r) => !/s_down|o_down|disconnected/.test(r.flags ?? '') && r['master-link-status'] === 'ok',
  ).length;
  findings.push({
    state: evaluate(o.replicas, healthy),
    text: `${healthy}/${a.replicas.length} replicas healthy`,
  });
  perf.push({ label: 'healthy_replicas', value: healthy, thresholds: o.replicas, min: 0 });
  perf.push({ label: 'known_replicas', value: a.replicas.length, min: 0 });
  return { findings, perf };
}

export async function checkSentinel(o: CheckSentinelOptions): Promise<CheckResult> {
  const elapsed = stopwatch();
  let c: LiteClient;
  try {
    c = await connect(o.conn, o.password);
    await c.must('PING');
  } catch (e) {
    return {
      findings: [
        {
          state: CRITICAL,
          text: `sentinel ${o.conn.host}:${o.conn.port}: ${(e as Error).message}`,
        },
      ],
      perf: [],
      okText: '',
    };
  }
  try {
    const ms = elapsed();
    const info = parseInfoText(String(await c.must('INFO', 'sentinel')));
    const masterReply = await c.call('SENTINEL', 'MASTER', o.masterName);
    const ckquorum = await c.call('SENTINEL', 'CKQUORUM', o.masterName);
    const replicasReply = await c.call('SENTINEL', 'REPLICAS', o.masterName);
    const { findings, perf } = analyzeSentinel(o, {
      tilt: info.sentinel_tilt === '1',
      master: masterReply instanceof Error ? masterReply : record(masterReply),
      ckquorum,
      replicas: Array.isArray(replicasReply) ? replicasReply.map(record) : [],
    });
    perf.unshift({ label: 'response_time', value: ms / 1000, uom: 's', min: 0 });
    if (o.all.length > 0 && !(masterReply instanceof Error)) {
      const mine = record(masterReply);
      const views = await Promise.all(
        o.all.map(async (s) => {
          try {
            const x = await connect({ ...o.conn, host: s.host, port: s.port }, o.password);
            try {
              const r = await x.must('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', o.masterName);
              return Array.isArray(r) ? `${String(r[0])}:${String(r[1])}` : 'unknown';
            } finally {
              x.close();
            }
          } catch (e) {
            return `unreachable (${(e as Error).message})`;
          }
        }),
      );
      const me = `${mine.ip}:${mine.port}`;
      const differ = o.all.map((s, i) => [s, views[i]] as const).filter(([, view]) => view !== me);
      findings.push(
        differ.length === 0
          ? { state: OK, text: `all ${o.all.length + 1} sentinels name ${me}` }
          : {
              state: differ.every(([, v]) => v?.startsWith('unreachable')) ? WARNING : CRITICAL,
              text: `sentinels disagree: this one names ${me}; ${differ.map(([s, v]) => `${s.host}:${s.port} ${v ?? '?'}`).join(', ')}`,
            },
      );
    }
    const okText = findings
      .filter((f) => f.state === OK)
      .slice(1)
      .map((f) => f.text)
      .join('; ');
    return { findings, perf, okText };
  } finally {
    c.close();
  }
}
