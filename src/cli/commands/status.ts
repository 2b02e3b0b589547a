import { withView } from '../../view/with-view.js';
import { runningSupervisor } from '../../state/lock.js';
import type { PersistedState } from '../../state/state-dir.js';
import { analyzeHealth, type Health } from '../../view/health.js';
import type { Observation } from '../../view/observation.js';
import type { BoundTopology } from '../../topology/model.js';
import { formatBytes } from '../../util/units.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { startedTopology, topologyFrom } from '../context.js';

export interface StatusReport {
  healthy: boolean;
  supervisorPid: number | null;
  primary: string | null;
  quorum: { needed: number; sentinels: number; reachable: number };
  nodes: {
    name: string;
    host: string;
    port: number;
    reachable: boolean;
    role: string | null;
    following: string | null;
    link: string | null;
    offset: number;
    lagBytes: number | null;
    keys: number | null;
    error?: string | undefined;
  }[];
  sentinels: {
    name: string;
    host: string;
    port: number;
    reachable: boolean;
    names: string | null;
    tilt: boolean;
    ckquorum: string | null;
    error?: string | undefined;
  }[];
  failovers: PersistedState['failovers'];
  problems: string[];
}

export function buildReport(
  t: BoundTopology,
  obs: Observation,
  h: Health,
  state: PersistedState,
  pid: number | undefined,
): StatusReport {
  const primaryObs = obs.nodes.find((n) => n.name === h.primary);
  return {
    healthy: h.healthy,
    supervisorPid: pid ?? null,
    primary: h.primary ?? null,
    quorum: { needed: t.quorum, sentinels: t.sentinels.length, reachable: h.sentinelReachable },
    nodes: t.nodes.map((n) => {
      const o = obs.nodes.find((x) => x.name === n.name);
      const following = o?.masterHost
        ? (t.nodes.find((x) => x.host === o.masterHost && x.port === o.masterPort)?.name ??
          `${o.masterHost}:${o.masterPort}`)
        : null;
      return {
        name: n.name,
        host: n.host,
        port: n.port,
        reachable: o?.reachable ?? false,
        role: o?.reachable ? (o.role === 'master' ? 'primary' : 'replica') : null,
        following: o?.role === 'slave' ? following : null,
        link:
          o?.role === 'slave' ? (o.syncInProgress ? 'syncing' : o.linkUp ? 'up' : 'down') : null,
        offset: o?.offset ?? 0,
        lagBytes:
          o?.role === 'slave' && primaryObs ? Math.max(0, primaryObs.offset - o.offset) : null,
        keys: o?.keys ?? null,
        error: o?.error,
      };
    }),
    sentinels: t.sentinels.map((s) => {
      const o = obs.sentinels.find((x) => x.name === s.name);
      return {
        name: s.name,
        host: s.host,
        port: s.port,
        reachable: o?.reachable ?? false,
        names: h.sentinelViews[s.name] ?? null,
        tilt: o?.tilt ?? false,
        ckquorum: o?.quorumText ?? null,
        error: o?.error,
      };
    }),
    failovers: state.failovers,
    problems: h.problems,
  };
}

export function formatReport(r: StatusReport): string {
  const lines = [
    `${r.healthy ? 'HEALTHY' : 'DEGRADED'}  primary: ${r.primary ?? 'none agreed'}  supervisor: ${r.supervisorPid ? `pid ${r.supervisorPid}` : 'not running'}  failovers: ${r.failovers.length}`,
    '',
    'NODE          ADDRESS              ROLE      FOLLOWS    LINK     OFFSET      LAG       KEYS',
    ...r.nodes.map((n) =>
      [
        n.name.padEnd(13),
        `${n.host}:${n.port}`.padEnd(20),
        (n.role ?? 'DOWN').padEnd(9),
        (n.following ?? '-').padEnd(10),
        (n.link ?? '-').padEnd(8),
        String(n.offset).padEnd(11),
        (n.lagBytes === null ? '-' : formatBytes(n.lagBytes)).padEnd(9),
        n.keys ?? '-',
      ].join(' '),
    ),
    '',
    `SENTINEL                ADDRESS              NAMES      TILT  CKQUORUM (quorum ${r.quorum.needed}/${r.quorum.sentinels}, ${r.quorum.reachable} reachable)`,
    ...r.sentinels.map((s) =>
      [
        s.name.padEnd(23),
        `${s.host}:${s.port}`.padEnd(20),
        (s.reachable ? (s.names ?? '?') : 'DOWN').padEnd(10),
        (s.tilt ? 'yes' : 'no').padEnd(5),
        s.reachable ? (s.ckquorum ?? '') : (s.error ?? ''),
      ].join(' '),
    ),
  ];
  const last = r.failovers.at(-1);
  if (last) lines.push('', `last failover: ${last.from} -> ${last.to} at ${last.at}`);
  if (r.problems.length) lines.push('', 'problems:', ...r.problems.map((p) => `  - ${p}`));
  return lines.join('\n');
}

export async function collectStatus(o: TopologyOptions): Promise<StatusReport> {
  const p = await startedTopology(o);
  const { t, dir } = p;
  const obs = await withView(p, (view) => view.look(), { follow: false });
  // Read the failover history after looking: a whole failover can fit inside one observation.
  return buildReport(t, obs, analyzeHealth(t, obs), dir.readState(), runningSupervisor(dir));
}

export async function statusCommand(o: TopologyOptions): Promise<CommandResult> {
  if (topologyFrom(o, ['sentinel', 'cluster']).kind === 'cluster')
    return (await import('../cluster-status.js')).clusterStatusCommand(o);
  const r = await collectStatus(o);
  return { text: formatReport(r), json: r, exitCode: r.healthy ? 0 : 1 };
}
