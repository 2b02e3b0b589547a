import path from 'node:path';
import { renderAll, writeRendered } from '../../render/render-all.js';
import { bindPorts } from '../../runtime/ports.js';
import { StateDir, newSentinelId } from '../../runtime/state-dir.js';
import { loadOrCreateSecrets } from '../../secrets/store.js';
import { designatedPrimary, findNode } from '../../topology/model.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

export interface RenderOptions extends TopologyOptions {
  out: string;
}

/** Writes the configs `up` would use, under DIR (nodes/NAME/redis.conf, sentinels/NAME/sentinel.conf). */
export async function renderCommand(o: RenderOptions): Promise<CommandResult> {
  const t = topologyFrom(o);
  const dir = new StateDir(t.stateDir);
  const state = dir.readState();
  const bound = await bindPorts(t, state, false);
  for (const s of bound.sentinels) state.sentinelIds[s.name] ??= newSentinelId();
  const secrets = loadOrCreateSecrets(dir);
  dir.writeState(state);
  const primary = (state.primary && findNode(bound, state.primary)) || designatedPrimary(bound);
  const out = new StateDir(path.resolve(o.out));
  const files = renderAll(bound, {
    root: out,
    secrets,
    primary,
    sentinelIds: state.sentinelIds,
    gatePriority: true,
  });
  writeRendered(files);
  return {
    text: [
      `rendered ${files.length} files (mode 0600: they contain passwords):`,
      ...files.map((f) => `  ${f.path}`),
    ].join('\n'),
    json: { files: files.map((f) => ({ member: f.member, kind: f.kind, path: f.path })) },
  };
}
