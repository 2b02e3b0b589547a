import { readFileSync } from 'node:fs';
import { credentials } from '../../state/credentials.js';
import { scopeSecrets, type Secrets } from '../../state/secrets.js';
import { caFile, hostTlsFiles, clientTlsFiles } from '../../state/tls.js';
import { StateDir } from '../../state/state-dir.js';
import {
  membersOn,
  type BoundTopology,
  type HostSpec,
  type NodeSpec,
  type SentinelSpec,
} from '../../topology/model.js';
import { renderNagios } from '../nagios-conf.js';
import { renderNode, renderSentinel } from '../render-all.js';
import { HOST_PATHS, RECONFIG_FLAG, RECONFIG_HOOK, CLI_FILE, TOPOLOGY_FILE } from './paths.js';
import {
  AGENT_UNIT,
  DASHBOARD_UNIT,
  EXPORTER_UNIT,
  PROXY_UNIT,
  agentUnit,
  backupUnits,
  daemonUnit,
  nodeUnit,
  sentinelUnit,
  thpUnit,
  type Unit,
} from './units.js';
import { renderSysctl } from './sysctl.js';

/**
 * `replace`: installed when its content differs; `once`: only when absent (Sentinel rewrites
 * its own file: epochs, its id); `live` (a node's redis.conf): the rendered reference is kept
 * under /etc and copied to the live path (which Redis and Sentinel rewrite) only when the
 * reference changed.
 */
export interface BundleFile {
  path: string;
  mode: number;
  content: string | Buffer;
  policy: 'replace' | 'once' | 'live';
  live?: string | undefined;
  /** Files the redis user must write (data, live configs): chowned when that user exists. */
  owner?: 'redis' | 'nagios' | undefined;
  /** Units to restart when this file changed. */
  restarts?: readonly string[] | undefined;
}

export interface HostBundle {
  host: HostSpec;
  nodes: NodeSpec<number>[];
  sentinels: SentinelSpec<number>[];
  /** Whether this host runs the exporter and carries the Nagios objects. */
  monitoring: boolean;
  files: BundleFile[];
  units: Unit[];
  /** Start order on this host. */
  startOrder: string[];
  /** Secrets this host carries (the rest are withheld). */
  secrets: string[];
}

export interface BundleContext {
  secrets: Secrets;
  /** The current primary (roles rendered as they are now, not as first declared). */
  primary: NodeSpec<number>;
  sentinelIds: Readonly<Record<string, string>>;
  /** The topology file's input with `stateDir` and ports made host-ready (see topologyForHost). */
  topologyYaml: string;
  /** The bundled CLI and plugins (dist/). */
  cli: Buffer;
  /** The plugins and bin/check_redis, their wrapper (`--via` the exporter, else the plugin). */
  plugins: { checkRedis: Buffer; checkSentinel: Buffer; wrapper: Buffer };
  /** The dashboard's built page (dist/dashboard/), by file name. */
  dashboard: Readonly<Record<string, Buffer>>;
}

/** The supervision host of the seed: the first host without a node, else the last host. */
export function monitoringHost(t: BoundTopology): HostSpec | undefined {
  return (
    t.hosts.find((h) => !membersOn(t, h.name).some((m) => m.kind === 'node')) ?? t.hosts.at(-1)
  );
}

/** Where the proxy endpoint runs: the host whose address it listens on, else the supervision host. */
export function proxyHost(t: BoundTopology): HostSpec | undefined {
  if (t.endpoint.mode !== 'proxy') return undefined;
  return t.hosts.find((h) => h.address === t.endpoint.listen.host) ?? monitoringHost(t);
}

/** The topology as a host sees it: state under /var/lib/redis-ha, TLS files there too. */
export function hostView(t: BoundTopology): BoundTopology {
  return {
    ...t,
    stateDir: HOST_PATHS.state,
    tls: { enabled: t.tls.enabled },
  };
}

export function hostBundle(t: BoundTopology, host: HostSpec, ctx: BundleContext): HostBundle {
  const ht = hostView(t);
  const root = new StateDir(HOST_PATHS.state);
  const members = membersOn(t, host.name);
  const nodes = members.filter((m): m is NodeSpec<number> => m.kind === 'node');
  const sentinels = members.filter((m): m is SentinelSpec<number> => m.kind === 'sentinel');
  const monitoring = monitoringHost(t)?.name === host.name;
  const vip = t.endpoint.mode === 'vip' && t.endpoint.address ? t.endpoint.address : undefined;
  const runsAgent = nodes.length > 0;
  const exporter = monitoring && t.exporter.enabled;
  const dashboard = monitoring && t.dashboard.enabled;
  const proxy = proxyHost(t)?.name === host.name;
  const runsCli = runsAgent || exporter || dashboard || proxy;
  const files: BundleFile[] = [];
  const units: Unit[] = [];
  const daemons = [
    ...(runsAgent ? [AGENT_UNIT] : []),
    ...(exporter ? [EXPORTER_UNIT] : []),
    ...(dashboard ? [DASHBOARD_UNIT] : []),
    ...(proxy ? [PROXY_UNIT] : []),
  ];

  const rctx = {
    root,
    secrets: ctx.secrets,
    primary: ctx.primary,
    sentinelIds: ctx.sentinelIds,
    gatePriority: true,
  };
  for (const n of nodes) {
    // Clients reach the primary at the floating address too: it is bound (nonlocal bind) there.
    const rendered = renderNode(ht, vip ? { ...n, bind: [...n.bind, vip] } : n, rctx);
    files.push({
      path: `${HOST_PATHS.conf}/nodes/${n.name}/redis.conf`,
      mode: 0o600,
      content: rendered.content,
      policy: 'live',
      live: rendered.path,
      owner: 'redis',
    });
    units.push(nodeUnit(t, n, rendered.path));
  }
  for (const s of sentinels) {
    const rendered = renderSentinel(
      ht,
      s,
      rctx,
      vip && nodes.length > 0 ? RECONFIG_HOOK : undefined,
    );
    files.push({
      path: rendered.path,
      mode: 0o600,
      content: rendered.content,
      policy: 'once',
      owner: 'redis',
    });
    units.push(sentinelUnit(t, s, rendered.path));
  }

  // What this host's redis-ha processes log in with, and nothing else.
  const keep = new Set<string>();
  if (runsCli) {
    keep.add('sentinelPassword');
    keep.add(t.auth.mode === 'password' ? 'redisPassword' : 'users.monitor');
    if ((runsAgent || (dashboard && t.dashboard.actions)) && t.auth.mode === 'acl')
      keep.add('users.admin');
    // The proxy checks clients' AUTH itself (multiplexing) and logs in upstream as them.
    if (proxy) keep.add(t.auth.mode === 'password' ? 'redisPassword' : 'users.app');
    if (dashboard) keep.add('dashboardToken');
    files.push(
      {
        path: TOPOLOGY_FILE,
        mode: 0o644,
        content: ctx.topologyYaml,
        policy: 'replace',
        restarts: daemons,
      },
      {
        path: `${HOST_PATHS.state}/secrets.json`,
        mode: 0o600,
        content: JSON.stringify(scopeSecrets(ctx.secrets, keep), null, 2) + '\n',
        policy: 'replace',
        restarts: daemons,
      },
      { path: CLI_FILE, mode: 0o755, content: ctx.cli, policy: 'replace', restarts: daemons },
    );
  }
  if (t.tls.enabled) {
    const central = (p: string): Buffer => readFileSync(p);
    const ca = {
      path: caFile(ht),
      mode: 0o644,
      content: central(caFile(t)),
      policy: 'replace' as const,
    };
    files.push(ca);
    const hf = hostTlsFiles(t, host.address);
    const hh = hostTlsFiles(ht, host.address);
    if (members.length > 0)
      files.push(
        { path: hh.certFile, mode: 0o644, content: central(hf.certFile), policy: 'replace' },
        {
          path: hh.keyFile,
          mode: 0o600,
          content: central(hf.keyFile),
          policy: 'replace',
          owner: 'redis',
        },
      );
    if (runsCli) {
      const cf = clientTlsFiles(t);
      const ch = clientTlsFiles(ht);
      files.push(
        { path: ch.certFile, mode: 0o644, content: central(cf.certFile), policy: 'replace' },
        { path: ch.keyFile, mode: 0o600, content: central(cf.keyFile), policy: 'replace' },
      );
    }
  }
  if (runsAgent) {
    units.push(agentUnit(host, nodes[0]!));
    if (vip)
      files.push({
        path: RECONFIG_HOOK,
        mode: 0o755,
        content: [
          '#!/bin/sh',
          "# Sentinel's client-reconfig-script (about 3 calls per failover, on every sentinel):",
          '# tell the agent to look now. It decides from the sentinels and ROLE, never from these',
          '# arguments, so a late or repeated call is harmless.',
          `touch ${RECONFIG_FLAG} 2>/dev/null`,
          'exit 0',
          '',
        ].join('\n'),
        policy: 'replace',
      });
  }
  const backups = runsAgent ? hostBackups(t, host) : undefined;
  if (backups) {
    // Only the timer is enabled and started by install.sh; it starts the oneshot service.
    units.push(backups.timer);
    files.push(unitFile(backups.service));
  }
  if (exporter)
    units.push(
      daemonUnit(
        EXPORTER_UNIT,
        `redis-ha Prometheus exporter (master ${t.masterName})`,
        'exporter',
      ),
    );
  if (dashboard) {
    units.push(
      daemonUnit(DASHBOARD_UNIT, `redis-ha dashboard (master ${t.masterName})`, 'dashboard'),
    );
    for (const [name, content] of Object.entries(ctx.dashboard))
      files.push({
        path: `${HOST_PATHS.lib}/dashboard/${name}`,
        mode: 0o644,
        content,
        policy: 'replace',
        restarts: [DASHBOARD_UNIT],
      });
  }
  if (proxy)
    units.push(daemonUnit(PROXY_UNIT, `redis-ha endpoint (master ${t.masterName})`, 'proxy'));
  if (monitoring) files.push(...nagiosFiles(t, ht, ctx));
  units.unshift(thpUnit());
  files.push({
    path: HOST_PATHS.sysctl,
    mode: 0o644,
    content: renderSysctl(t, { vip: vip !== undefined && nodes.length > 0 }),
    policy: 'replace',
  });
  for (const u of units) files.push(unitFile(u));
  return {
    host,
    nodes,
    sentinels,
    monitoring,
    files,
    units,
    startOrder: units.map((u) => u.name),
    secrets: [...keep].sort(),
  };
}

function unitFile(u: Unit): BundleFile {
  const path = `${HOST_PATHS.units}/${u.name}`;
  return { path, mode: 0o644, content: u.content, policy: 'replace', restarts: [u.name] };
}

/** The backup timer of a data host; the default dir (under the state dir) is the host's. */
function hostBackups(t: BoundTopology, host: HostSpec): ReturnType<typeof backupUnits> | undefined {
  if (!t.backup) return undefined;
  const underState = t.backup.dir === `${t.stateDir}/backups`;
  return backupUnits(host, t.backup, underState ? `${HOST_PATHS.state}/backups` : t.backup.dir);
}

function nagiosFiles(t: BoundTopology, ht: BoundTopology, ctx: BundleContext): BundleFile[] {
  const dir = HOST_PATHS.nagios;
  // The repository's layout (bin/ wrapper, dist/ plugins): the wrapper finds the plugin there.
  const plugins = `${HOST_PATHS.lib}/bin`;
  const monitor = credentials(t, ctx.secrets, 'monitor');
  const ca = t.tls.enabled ? `${dir}/ca.crt` : undefined;
  const cfg = renderNagios(ht, {
    pluginDir: plugins,
    redisPasswordFile: `${dir}/redis-password`,
    sentinelPasswordFile: `${dir}/sentinel-password`,
    user: monitor.username,
    caFile: ca,
  });
  return [
    { path: `${dir}.cfg`, mode: 0o644, content: cfg, policy: 'replace' },
    {
      path: `${dir}/redis-password`,
      mode: 0o600,
      content: `${monitor.password}\n`,
      policy: 'replace',
      owner: 'nagios',
    },
    {
      path: `${dir}/sentinel-password`,
      mode: 0o600,
      content: `${ctx.secrets.sentinelPassword}\n`,
      policy: 'replace',
      owner: 'nagios',
    },
    ...(ca
      ? [{ path: ca, mode: 0o644, content: readFileSync(caFile(t)), policy: 'replace' as const }]
      : []),
    ...(['check_redis', 'check_redis_sentinel'] as const).map((p) => ({
      path: `${plugins}/${p}`,
      mode: 0o755,
      content: ctx.plugins.wrapper,
      policy: 'replace' as const,
    })),
    {
      path: `${HOST_PATHS.lib}/dist/check_redis.cjs`,
      mode: 0o755,
      content: ctx.plugins.checkRedis,
      policy: 'replace',
    },
    {
      path: `${HOST_PATHS.lib}/dist/check_redis_sentinel.cjs`,
      mode: 0o755,
      content: ctx.plugins.checkSentinel,
      policy: 'replace',
    },
  ];
}
