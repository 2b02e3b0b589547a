/**
 * The resident side of `check_redis --via HOST:PORT`: a running exporter runs the check itself, so
 * Nagios pays for a bash wrapper (a few ms) instead of a Node start (~22 ms) per check. Same
 * parser, same check code, same output and exit code as the executable. It runs only what cannot
 * be turned against the machine it runs on: targets of its own topology (no probing elsewhere),
 * no file or environment reads (the wrapper reads password files as the calling user); anything
 * else is declined and the wrapper runs the plugin itself.
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BoundTopology } from '../topology/model.js';
import { caFile } from '../state/tls.js';
import { isLoopbackHost } from '../util/listen.js';
import { parseCheckArgs } from './check-args.js';
import { parseEndpointArgs } from './check-endpoint.js';
import { runCheckEndpoint, runCheckRedis, runCheckSentinel } from './check-redis-main.js';
import { parseSentinelArgs } from './check-sentinel.js';
import type { PluginRun } from './plugins.js';

export const CHECK_PLUGINS = ['redis', 'sentinel', 'endpoint'] as const;
export type CheckPlugin = (typeof CHECK_PLUGINS)[number];

/** Options the service never honours: they read files or speak TLS with local key material. */
const DECLINED = [
  '--password-file',
  '--sentinel-password-file',
  '--tls-insecure',
  '--cert',
  '--key',
];

/** --tls is run only against the topology's own CA certificate (public, no key material). */
function tlsDecline(t: BoundTopology, argv: readonly string[]): string | undefined {
  const ca = argv.flatMap((a, i) =>
    a === '--cacert' ? [argv[i + 1] ?? ''] : a.startsWith('--cacert=') ? [a.slice(9)] : [],
  );
  const tls = argv.includes('--tls') || ca.length > 0;
  if (!tls) return undefined;
  if (!t.tls.enabled) return '--tls is run locally';
  if (ca.length !== 1 || !isTopologyCa(t, ca[0] ?? ''))
    return "--tls without this topology's CA is run locally";
  return undefined;
}

/** The topology's CA file, or a regular file with the same certificate (a copy for Nagios). */
function isTopologyCa(t: BoundTopology, file: string): boolean {
  if (file === caFile(t)) return true;
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > 64 * 1024) return false;
    return readFileSync(file).equals(readFileSync(caFile(t)));
  } catch {
    return false;
  }
}

export type CheckServiceAnswer = { ran: PluginRun } | { declined: string };

type Addr = { host: string; port: number };

function targets(plugin: CheckPlugin, argv: string[]): Addr[] {
  const noEnv = {};
  if (plugin === 'sentinel') {
    const o = parseSentinelArgs(argv, noEnv).options;
    return [o.conn, ...o.all];
  }
  const o = (plugin === 'redis' ? parseCheckArgs : parseEndpointArgs)(argv, noEnv).options;
  return [o.conn, ...o.sentinels];
}

/** Pure: why the service will not run these arguments, or undefined when it will. */
export function declineReason(
  t: BoundTopology,
  plugin: CheckPlugin,
  argv: readonly string[],
): string | undefined {
  for (const a of argv)
    for (const d of DECLINED) if (a === d || a.startsWith(`${d}=`)) return `${d} is run locally`;
  const tls = tlsDecline(t, argv);
  if (tls) return tls;
  let addrs: Addr[];
  try {
    addrs = targets(plugin, [...argv]);
  } catch {
    return undefined; // bad arguments: the plugin itself answers UNKNOWN with its usage
  }
  const members: Addr[] = [
    ...t.nodes,
    ...t.sentinels,
    ...(t.endpoint.mode === 'proxy' ? [t.endpoint.listen] : []),
    ...(t.endpoint.readListen ? [t.endpoint.readListen] : []),
  ];
  for (const a of addrs)
    if (!members.some((m) => m.host === a.host && m.port === a.port))
      return `${a.host}:${a.port} is not a member of this topology`;
  return undefined;
}

export async function serveCheck(
  t: BoundTopology,
  plugin: CheckPlugin,
  argv: string[],
): Promise<CheckServiceAnswer> {
  const why = declineReason(t, plugin, argv);
  if (why) return { declined: why };
  // The service's own environment must never stand in for a password (REDISCLI_AUTH).
  const run = { redis: runCheckRedis, sentinel: runCheckSentinel, endpoint: runCheckEndpoint }[
    plugin
  ];
  return { ran: await run(argv, {}) };
}

const MAX_BODY = 64 * 1024;

/**
 * `POST /check/<plugin>` with the arguments NUL-separated as the body (bin/check_redis sends it).
 * 200: `<exit code>\n<plugin output>`; 409: declined, the wrapper runs the plugin itself.
 */
export function handleCheckRequest(
  t: BoundTopology,
  plugin: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const reply = (status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  };
  if (req.method !== 'POST') return reply(405, 'use POST\n');
  if (!isLoopbackHost(req.socket.remoteAddress)) return reply(403, 'loopback clients only\n');
  if (!(CHECK_PLUGINS as readonly string[]).includes(plugin)) return reply(404, 'no such check\n');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (d: Buffer) => {
    size += d.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(d);
  });
  req.on('end', () => {
    const argv = Buffer.concat(chunks).toString('utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    serveCheck(t, plugin as CheckPlugin, argv).then(
      (a) =>
        'ran' in a
          ? reply(200, `${a.ran.code}\n${a.ran.text}\n`)
          : reply(409, `declined: ${a.declined}\n`),
      (e: unknown) => reply(500, `check failed: ${String(e)}\n`),
    );
  });
}
