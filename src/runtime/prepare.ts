import { renderAll, writeRendered } from '../render/render-all.js';
import { loadOrCreateSecrets, type Secrets } from '../secrets/store.js';
import { ensureTls, withTls } from '../secrets/tls.js';
import {
  designatedPrimary,
  findNode,
  type BoundTopology,
  type NodeSpec,
  type Topology,
} from '../topology/model.js';
import { sweepOrphans } from './orphans.js';
import { bindPorts } from './ports.js';
import { findRedis, type RedisBinaries } from './redis-bin.js';
import { newSentinelId, type StateDir } from './state-dir.js';

export interface PreparedRun {
  bins: RedisBinaries;
  t: BoundTopology;
  secrets: Secrets;
  /** The designated primary, or the one Sentinel promoted last time (state dir). */
  primary: NodeSpec<number>;
}

/**
 * Everything before the first process starts: binaries and version, leftovers of a dead
 * supervisor, ports, sentinel ids, secrets, and freshly rendered configs.
 */
export async function prepareRun(
  input: Topology,
  dir: StateDir,
  note: (message: string, member?: string) => void,
): Promise<PreparedRun> {
  const bins = await findRedis();
  note(`using Redis ${bins.version} (${bins.server})`);
  dir.ensure();
  for (const s of await sweepOrphans(dir, input.supervisor.stopTimeoutMs)) {
    note(`stopped ${s.name} (pid ${s.pid}) left running by a previous supervisor`, s.name);
  }
  const state = dir.readState();
  const t = await bindPorts(input, state, true);
  for (const s of t.sentinels) state.sentinelIds[s.name] ??= newSentinelId();
  const primary = (state.primary && findNode(t, state.primary)) || designatedPrimary(t);
  if (primary.name !== designatedPrimary(t).name)
    note(`${primary.name} is the primary since the last failover (state dir)`);
  state.primary = primary.name;
  dir.writeState(state);
  ensureTls(t);
  const secrets = withTls(loadOrCreateSecrets(dir), t);
  writeRendered(
    renderAll(t, {
      root: dir,
      secrets,
      primary,
      sentinelIds: state.sentinelIds,
      gatePriority: true,
    }),
  );
  return { bins, t, secrets, primary };
}
