import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RedisHaError } from '../errors/errors.js';
import type { CheckRedisOptions, RoleWanted } from './check-redis.js';
import { parseRange, type Thresholds } from './nagios.js';
import type { LiteOptions } from '../redis/lite-client.js';

const METRICS = [
  'memory',
  'clients',
  'blocked',
  'rejected',
  'evicted',
  'fork',
  'link-down',
  'lag',
  'lag-bytes',
  'replicas',
] as const;

const thresholdOptions = Object.fromEntries(
  METRICS.flatMap((m) => [
    [`${m}-warning`, { type: 'string' as const }],
    [`${m}-critical`, { type: 'string' as const }],
  ]),
);

export const CHECK_REDIS_USAGE = `Usage: check_redis -H HOST [-p PORT] [-w MS] [-c MS] [-t SECONDS] [-P PASSWORD] [options]

Role-aware Redis check for Nagios/Icinga (redis-ha). Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
Thresholds are Nagios ranges: 10 (outside 0..10), 10: (below 10), ~:10 (above 10), 10:20, @10:20.

Connection:
  -H, --host HOST              server (default 127.0.0.1)
  -p, --port PORT              port (default 6379)
  -P, --password PASSWORD      password (or --password-file, or REDISCLI_AUTH in the environment)
      --user USER              ACL user
      --password-file FILE     read the password from FILE (first line)
      --tls                    TLS, with --cacert FILE, --cert FILE, --key FILE, --tls-insecure
  -t, --timeout SECONDS        give up with UNKNOWN after this long (default 10)
Checks:
  -w, --warning MS / -c, --critical MS   response time (connect, AUTH, PING) in ms
      --role primary|replica|any         expected role (default any)
      --sentinels HOST:PORT,...          compare with the sentinel majority (split brain)
      --master-name NAME                 Sentinel's master name (default mymaster)
      --cluster                          Redis Cluster: every shard and node, from this seed node
                                         (a node in cluster mode is checked cluster-aware anyway)
      --peer-timeout SECONDS             cluster: bound on each peer asked (default 2, at most -t/2)
      --sentinel-password PASSWORD       (or --sentinel-password-file FILE; default: the password)
      --memory-warning/--memory-critical RANGE        used_memory % of maxmemory (skipped at 0)
      --clients-warning/--clients-critical RANGE      connected clients
      --blocked-warning/--blocked-critical RANGE      blocked clients
      --rejected-warning/--rejected-critical RANGE    rejected connections (counter)
      --evicted-warning/--evicted-critical RANGE      evicted keys (counter)
      --fork-warning/--fork-critical RANGE            latest fork, ms
      --link-down-warning/--link-down-critical RANGE  replica: seconds the link has been down
                                                      (down with no range given: CRITICAL)
      --lag-warning/--lag-critical RANGE              replica lag, seconds
      --lag-bytes-warning/--lag-bytes-critical RANGE  replica lag, bytes behind the primary
      --replicas-warning/--replicas-critical RANGE    primary: replicas in sync (e.g. 1: )
  Failed RDB/AOF writes are always CRITICAL.
Output:
  -v, --verbose                one line per check after the status line
  -h, --help / -V, --version`;

export interface ParsedCheck {
  help?: boolean;
  version?: boolean;
  verbose: boolean;
  timeoutMs: number;
  options: CheckRedisOptions;
}

export function readSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
  } catch (e) {
    throw new RedisHaError('USAGE', `cannot read ${file}: ${(e as Error).message}`);
  }
}

export function range(v: string | undefined): Thresholds['warn'] {
  return v === undefined ? undefined : parseRange(v);
}

export function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new RedisHaError('USAGE', `expected HOST:PORT, got "${s}"`);
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/**
 * `-P -secret` or `-w -5:`: a value that starts with "-" is still the option's value (parseArgs
 * calls it ambiguous). Rewritten as `--password=-secret` for options that take a value.
 */
function joinDashValues(argv: readonly string[], options: OptionSpec): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, o] of Object.entries(options ?? {}))
    if (o.type === 'string') {
      takesValue.set(`--${name}`, name);
      if (o.short) takesValue.set(`-${o.short}`, name);
    }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const name = takesValue.get(a);
    const next = argv[i + 1];
    if (name !== undefined && next !== undefined && next.startsWith('-') && next !== '--') {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** parseArgs for a plugin, plus the -p / -t every plugin has; every problem is USAGE. */
export function parsePluginArgs(
  argv: string[],
  options: OptionSpec,
): {
  v: Record<string, string | boolean | undefined>;
  s: (k: string) => string | undefined;
  port: number;
  /** What every plugin's parse result starts with. */
  head: { help: boolean; version: boolean; verbose: boolean; timeoutMs: number };
  /** The password: --password-file, else -P, else REDISCLI_AUTH. */
  password: (env: Record<string, string | undefined>) => string | undefined;
  /** --tls and its files (TLS_OPTIONS), or undefined for plain TCP. */
  tls: LiteOptions['tls'];
} {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: joinDashValues(argv, options),
      strict: true,
      allowPositionals: false,
      options,
    }).values;
  } catch (e) {
    throw new RedisHaError('USAGE', (e as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const s = (k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const port = Number(s('port'));
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new RedisHaError('USAGE', `-p: not a port: ${s('port')}`);
  const timeout = Number(s('timeout'));
  if (!(timeout > 0)) throw new RedisHaError('USAGE', `-t: not a positive number: ${s('timeout')}`);
  const head = {
    help: v.help === true,
    version: v.version === true,
    verbose: v.verbose === true,
    timeoutMs: timeout * 1000,
  };
  const password = (env: Record<string, string | undefined>): string | undefined => {
    const file = s('password-file');
    return file ? readSecret(file) : (s('password') ?? env.REDISCLI_AUTH);
  };
  const tls =
    v.tls === true || !!s('cacert') || !!s('cert')
      ? { ca: s('cacert'), cert: s('cert'), key: s('key'), insecure: v['tls-insecure'] === true }
      : undefined;
  return { v, s, port, head, password, tls };
}

/** The TLS options every plugin takes. */
export const TLS_OPTIONS = {
  tls: { type: 'boolean' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'tls-insecure': { type: 'boolean' },
} as const;

/** check_redis's arguments; every problem is a USAGE error (UNKNOWN). */
export function parseCheckArgs(argv: string[], env = process.env): ParsedCheck {
  const p = parsePluginArgs(argv, {
    host: { type: 'string', short: 'H', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', default: '6379' },
    warning: { type: 'string', short: 'w' },
    critical: { type: 'string', short: 'c' },
    timeout: { type: 'string', short: 't', default: '10' },
    password: { type: 'string', short: 'P' },
    user: { type: 'string' },
    'password-file': { type: 'string' },
    ...TLS_OPTIONS,
    role: { type: 'string', default: 'any' },
    sentinels: { type: 'string' },
    'master-name': { type: 'string', default: 'mymaster' },
    cluster: { type: 'boolean' },
    'peer-timeout': { type: 'string', default: '2' },
    'sentinel-password': { type: 'string' },
    'sentinel-password-file': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
    ...thresholdOptions,
  });
  const { s, port } = p;
  const role = s('role') as RoleWanted;
  if (!['primary', 'replica', 'any'].includes(role))
    throw new RedisHaError('USAGE', `--role: expected primary, replica or any, got "${role}"`);
  const peerTimeout = Number(s('peer-timeout'));
  if (!(peerTimeout > 0))
    throw new RedisHaError('USAGE', `--peer-timeout: not a positive number: ${s('peer-timeout')}`);
  const password = p.password(env);
  const spFile = s('sentinel-password-file');
  const t = Object.fromEntries(
    METRICS.map((m) => [
      m.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
      { warn: range(s(`${m}-warning`)), crit: range(s(`${m}-critical`)) },
    ]),
  ) as Omit<CheckRedisOptions['t'], 'response'>;
  return {
    ...p.head,
    options: {
      conn: {
        host: s('host') ?? '127.0.0.1',
        port,
        tls: p.tls,
      },
      user: s('user'),
      password,
      role,
      sentinels: (s('sentinels') ?? '').split(',').filter(Boolean).map(hostPort),
      masterName: s('master-name') ?? 'mymaster',
      cluster: p.v.cluster === true,
      peerTimeoutMs: Math.min(peerTimeout * 1000, p.head.timeoutMs / 2),
      sentinelPassword: spFile ? readSecret(spFile) : (s('sentinel-password') ?? password),
      t: { response: { warn: range(s('warning')), crit: range(s('critical')) }, ...t },
    },
  };
}
