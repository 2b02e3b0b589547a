import { credentials } from '../../state/credentials.js';
import { chmodSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { renderNagios } from '../../render/nagios-conf.js';
import { renderAlertRules, renderPrometheusConfig } from '../../render/prometheus-conf.js';
import { renderAll, writeRendered } from '../../render/render-all.js';
import { StateDir } from '../../state/state-dir.js';
import { prepareState, type PreparedState } from '../../state/prepare.js';
import { caFile } from '../../state/tls.js';
import type { Secrets } from '../../state/secrets.js';
import {
  designatedPrimary,
  findNode,
  type BoundTopology,
  type NodeSpec,
} from '../../topology/model.js';
import { manifest, renderBundles } from '../../render/bundle/write-bundles.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

export interface RenderOptions extends TopologyOptions {
  out: string;
  /** Also write Nagios object definitions (and 0600 password files) under OUT/nagios. */
  nagios?: boolean;
  pluginDir?: string;
  /** Also write a Prometheus scrape config and the example alert rules under OUT/prometheus. */
  prometheus?: boolean;
  /** One bundle per host (configs, units, sysctl, install script) instead of local configs. */
  hosts?: boolean;
}

/** Writes the configs `up` would use, under DIR (nodes/NAME/redis.conf, sentinels/NAME/sentinel.conf). */
export async function renderCommand(o: RenderOptions): Promise<CommandResult> {
  const prepared = await prepareState(topologyFrom(o));
  const { t: bound, secrets, state } = prepared;
  const primary = (state.primary && findNode(bound, state.primary)) || designatedPrimary(bound);
  if (o.hosts) return renderHosts(prepared, primary, path.resolve(o.out));
  const out = new StateDir(path.resolve(o.out));
  const files = renderAll(bound, {
    root: out,
    secrets,
    primary,
    sentinelIds: state.sentinelIds,
    gatePriority: true,
  });
  writeRendered(files);
  const nagios = o.nagios
    ? writeNagios(bound, secrets, path.resolve(o.out, 'nagios'), o.pluginDir)
    : [];
  const prometheus = o.prometheus
    ? writePrometheus(bound, secrets, path.resolve(o.out, 'prometheus'))
    : [];
  return {
    text: [
      `rendered ${files.length} files (mode 0600: they contain passwords):`,
      ...files.map((f) => `  ${f.path}`),
      ...(nagios.length
        ? ['Nagios objects (include the .cfg with cfg_file=; password files 0600):']
        : []),
      ...nagios.map((f) => `  ${f}`),
      ...(prometheus.length ? ['Prometheus (scrape config and alert rules):'] : []),
      ...prometheus.map((f) => `  ${f}`),
    ].join('\n'),
    json: {
      files: files.map((f) => ({ member: f.member, kind: f.kind, path: f.path })),
      nagios,
      prometheus,
    },
  };
}

function writeNagios(
  t: BoundTopology,
  secrets: Secrets,
  dir: string,
  pluginDir = '/usr/lib/nagios/plugins',
): string[] {
  mkdirSync(dir, { recursive: true });
  const redisPasswordFile = path.join(dir, 'redis-password');
  const sentinelPasswordFile = path.join(dir, 'sentinel-password');
  // The checks are read-only introspection: the monitor user when the topology has ACL users.
  const monitor = credentials(t, secrets, 'monitor');
  writeFileSync(redisPasswordFile, `${monitor.password}\n`, { mode: 0o600 });
  writeFileSync(sentinelPasswordFile, `${secrets.sentinelPassword}\n`, { mode: 0o600 });
  chmodSync(redisPasswordFile, 0o600);
  chmodSync(sentinelPasswordFile, 0o600);
  // A copy of the CA certificate (public) that the Nagios user can read.
  const ca = t.tls.enabled ? path.join(dir, 'ca.crt') : undefined;
  if (ca) copyFileSync(caFile(t), ca);
  const cfg = path.join(dir, 'redis-ha.cfg');
  writeFileSync(
    cfg,
    renderNagios(t, {
      pluginDir,
      redisPasswordFile,
      sentinelPasswordFile,
      user: monitor.username,
      caFile: ca,
      backupDir: t.backup?.dir,
    }),
  );
  return [cfg, redisPasswordFile, sentinelPasswordFile, ...(ca ? [ca] : [])];
}

function writePrometheus(t: BoundTopology, secrets: Secrets, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const rules = path.join(dir, 'redis-ha-alerts.yml');
  const config = path.join(dir, 'prometheus.yml');
  // Scrapes authenticate as the monitor user (HTTP Basic); the file is for Prometheus's user only.
  const passwordFile = path.join(dir, 'monitor-password');
  const monitor = credentials(t, secrets, 'monitor');
  writeFileSync(passwordFile, `${monitor.password}\n`, { mode: 0o600 });
  chmodSync(passwordFile, 0o600);
  writeFileSync(rules, renderAlertRules());
  writeFileSync(
    config,
    renderPrometheusConfig(t, rules, { username: monitor.username ?? 'monitor', passwordFile }),
  );
  return [config, rules, passwordFile];
}

function renderHosts(
  prepared: PreparedState,
  primary: NodeSpec<number>,
  out: string,
): CommandResult {
  const bundles = renderBundles(prepared, primary, out);
  return {
    text: [
      `rendered ${bundles.length} host bundles under ${out} (run HOST/install.sh as root on each host, or \`redis-ha deploy\`):`,
      ...bundles.map(
        (b) =>
          `  ${b.host.name} (${b.host.address}): ${[...b.nodes, ...b.sentinels].map((m) => m.name).join(', ') || 'no member'}${b.monitoring ? ', monitoring' : ''}; ${b.files.length} files, units ${b.startOrder.join(' ')}; secrets: ${b.secrets.join(', ') || 'none'}`,
      ),
    ].join('\n'),
    json: { out, hosts: bundles.map(manifest) },
  };
}
