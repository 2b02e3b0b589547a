import { credentials } from '../state/credentials.js';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { BoundTopology, NodeSpec, SentinelSpec } from '../topology/model.js';
import type { Secrets } from '../state/secrets.js';
import type { StateDir } from '../state/state-dir.js';
import { renderRedisConf } from './redis-conf.js';
import { renderSentinelConf } from './sentinel-conf.js';
import { hostTlsFiles } from '../state/tls.js';

export interface RenderedFile {
  member: string;
  kind: 'node' | 'sentinel';
  path: string;
  content: string;
}

export interface RenderContext {
  /** Root under which dir/pid/log paths point (the state dir for `up`). */
  root: StateDir;
  secrets: Secrets;
  /** Current primary (the designated one, or the one Sentinel last promoted). */
  primary: NodeSpec<number>;
  sentinelIds: Readonly<Record<string, string>>;
  /** Replicas whose priority is still gated (0) until synced; all replicas at `up`. */
  gatePriority: boolean;
}

export function renderNode(
  t: BoundTopology,
  node: NodeSpec<number>,
  ctx: RenderContext,
): RenderedFile {
  const dir = ctx.root.memberDir('node', node.name);
  const isPrimary = node.name === ctx.primary.name;
  return {
    member: node.name,
    kind: 'node',
    path: ctx.root.configFile('node', node.name),
    content: renderRedisConf(t, node, {
      replicaOf: isPrimary ? undefined : { host: ctx.primary.host, port: ctx.primary.port },
      secrets: ctx.secrets,
      dir,
      pidFile: path.join(dir, 'redis.pid'),
      logFile: ctx.root.logFile('node', node.name),
      startPriority: isPrimary || !ctx.gatePriority ? node.priority : 0,
      tls: t.tls.enabled ? hostTlsFiles(t, node.host) : undefined,
    }),
  };
}

/** A sentinel's config; `reconfigScript`: the hook a VIP host's agent listens to. */
export function renderSentinel(
  t: BoundTopology,
  s: SentinelSpec<number>,
  ctx: RenderContext,
  reconfigScript?: string,
): RenderedFile {
  const dir = ctx.root.memberDir('sentinel', s.name);
  return {
    member: s.name,
    kind: 'sentinel',
    path: ctx.root.configFile('sentinel', s.name),
    content: renderSentinelConf(t, s, {
      primary: ctx.primary,
      auth: credentials(t, ctx.secrets, 'sentinel'),
      sentinelPassword: ctx.secrets.sentinelPassword,
      previousSentinelPassword: ctx.secrets.previous?.sentinelPassword,
      dir,
      pidFile: path.join(dir, 'sentinel.pid'),
      logFile: ctx.root.logFile('sentinel', s.name),
      ids: ctx.sentinelIds,
      tls: t.tls.enabled ? hostTlsFiles(t, s.host) : undefined,
      reconfigScript,
    }),
  };
}

export function renderAll(t: BoundTopology, ctx: RenderContext): RenderedFile[] {
  return [
    ...t.nodes.map((n) => renderNode(t, n, ctx)),
    ...t.sentinels.map((s) => renderSentinel(t, s, ctx)),
  ];
}

/** Configs hold passwords: directories 0700, files 0600. */
export function writeRendered(files: readonly RenderedFile[]): void {
  for (const f of files) {
    mkdirSync(path.dirname(f.path), { recursive: true, mode: 0o700 });
    writeFileSync(f.path, f.content, { mode: 0o600 });
    chmodSync(f.path, 0o600);
  }
}
