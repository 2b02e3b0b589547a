import { newLoginToken } from '../../dashboard/login.js';
import { connectionLines, dashboardLine } from '../connection-help.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { parseListen } from './exporter.js';

/** `redis-ha endpoint`: where applications connect, as `up` printed it. */
export async function endpointCommand(o: TopologyOptions): Promise<CommandResult> {
  const { t, dir, state } = await startedTopology(o);
  const primary = state.primary ?? t.nodes.find((n) => n.role === 'primary')?.name ?? '?';
  const proxy = t.endpoint.mode === 'proxy' ? t.endpoint.listen : undefined;
  return {
    text: connectionLines(t, primary, dir).join('\n'),
    json: {
      endpoint: proxy ? { host: proxy.host, port: proxy.port } : null,
      user: t.auth.mode === 'acl' ? 'app' : null,
      secretsFile: dir.secretsFile,
      masterName: t.masterName,
      sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
      primary,
    },
  };
}

/** `redis-ha dashboard --url`: a fresh one-time login link to the running dashboard. */
export async function dashboardUrlCommand(
  o: TopologyOptions & { listen?: string },
): Promise<CommandResult> {
  const { t, secrets } = await startedTopology(o);
  const listen = o.listen ? parseListen(o.listen) : t.dashboard.listen;
  const line = dashboardLine(
    { ...t, dashboard: { ...t.dashboard, listen } },
    newLoginToken(secrets.dashboardToken),
  );
  const url = line.replace(/^dashboard: (\S+).*$/, '$1');
  // A login link alone (for `xdg-open "$(...)"`); beyond loopback, how to log in.
  return { text: url.includes('?once=') ? url : line.replace(/^dashboard: /, ''), json: { url } };
}
