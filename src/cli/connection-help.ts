import type { BoundTopology } from '../topology/model.js';
import { isLoopbackHost } from '../util/listen.js';
import { caFile } from '../state/tls.js';

/** How the README runs the CLI (from the clone, where the state dir is). */
export const CLI_NAME = 'npx redis-ha';

export interface HelpPaths {
  readonly secretsFile: string;
}

export interface HelpOptions {
  /** A one-time dashboard login token (src/dashboard/login.ts): the printed link logs in. */
  readonly dashboardLogin?: string | undefined;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The dashboard's address: with a login token (loopback only) a link that logs the user in. */
export function dashboardLine(t: BoundTopology, login?: string): string {
  const { host, port } = t.dashboard.listen;
  const base = `http://${hostPort(host, port)}/`;
  if (login !== undefined && isLoopbackHost(host))
    return `dashboard: ${base}login?once=${login} (logs you in; the link works once, for 10 minutes; a new one: \`${CLI_NAME} dashboard --url\`)`;
  return `dashboard: ${base} (token required: open /?token=TOKEN once, see \`${CLI_NAME} secrets\`)`;
}

/** Where applications connect: the endpoint when there is one, else (changing) the primary. */
function address(t: BoundTopology, primary: string): { host: string; port: number; what: string } {
  if (t.endpoint.mode === 'proxy')
    return { ...t.endpoint.listen, what: 'the endpoint: always the primary' };
  const p = t.nodes.find((n) => n.name === primary) ?? t.nodes[0];
  const port = p?.port ?? 6379;
  if (t.endpoint.mode === 'vip' && t.endpoint.address)
    return { host: t.endpoint.address, port, what: 'the floating address: always the primary' };
  return {
    host: p?.host ?? '127.0.0.1',
    port,
    what: `the primary ${primary} for now; set endpoint.mode: proxy for one address`,
  };
}

/**
 * Pure: how to connect, the lines `up` ends with. The last is the one to paste: a redis://
 * URL without the password, where the password is, and the redis-cli line.
 */
export function connectionLines(t: BoundTopology, primary: string, paths: HelpPaths): string[] {
  const a = address(t, primary);
  const p = t.nodes.find((n) => n.name === primary);
  const acl = t.auth.mode === 'acl';
  const user = acl ? 'app@' : '';
  const scheme = t.tls.enabled ? 'rediss' : 'redis';
  const tls = t.tls.enabled ? `--tls --cacert ${caFile(t)} ` : '';
  const read = t.endpoint.mode === 'proxy' ? t.endpoint.readListen : undefined;
  return [
    `sentinels ${t.sentinels.map((s) => hostPort(s.host, s.port)).join(', ')} (master name ${t.masterName}); primary ${primary} at ${p ? hostPort(p.host, p.port) : '?'}`,
    ...(read
      ? [`read endpoint (an in-sync replica, else the primary): ${hostPort(read.host, read.port)}`]
      : []),
    ...(t.tls.enabled ? [`TLS only (plain ports off); clients trust the CA ${caFile(t)}`] : []),
    `connect to ${scheme}://${user}${hostPort(a.host, a.port)} (${a.what}); ${acl ? "user app's " : 'the '}password: \`${CLI_NAME} secrets ${acl ? 'app' : 'password'}\`, in ${paths.secretsFile}`,
    `  redis-cli ${tls}-h ${a.host} -p ${a.port}${acl ? ' --user app' : ''} --askpass`,
  ];
}

/** Pure: everything `up` prints once healthy: dashboard, metrics, then how to connect. */
export function connectionHelp(
  t: BoundTopology,
  primary: string,
  paths: HelpPaths,
  o: HelpOptions = {},
): string {
  const lines: string[] = [];
  if (t.dashboard.enabled) lines.push(dashboardLine(t, o.dashboardLogin));
  if (t.exporter.enabled)
    lines.push(
      `metrics: http://${hostPort(t.exporter.listen.host, t.exporter.listen.port)}/metrics (Prometheus; HTTP Basic as the monitor user)`,
    );
  return [...lines, ...connectionLines(t, primary, paths)].join('\n');
}
