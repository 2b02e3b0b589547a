import { bindPorts } from '../runtime/ports.js';
import { StateDir, newSentinelId, type PersistedState } from '../runtime/state-dir.js';
import { loadOrCreateSecrets, type Secrets } from '../secrets/store.js';
import { ensureTls, withTls } from '../secrets/tls.js';
import type { BoundTopology, Topology } from '../topology/model.js';

export interface Prepared {
  t: BoundTopology;
  dir: StateDir;
  state: PersistedState;
  secrets: Secrets;
}

/**
 * What rendering needs, whatever the target (local configs, host bundles, the lab, deploy):
 * ports bound and kept, a fixed id per sentinel, the TLS material issued, the secrets (created
 * on first use), all recorded in the state dir.
 */
export async function prepareRender(topology: Topology): Promise<Prepared> {
  const dir = new StateDir(topology.stateDir);
  const state = dir.readState();
  const t = await bindPorts(topology, state, false);
  for (const s of t.sentinels) state.sentinelIds[s.name] ??= newSentinelId();
  ensureTls(t);
  const secrets = withTls(loadOrCreateSecrets(dir), t);
  dir.writeState(state);
  return { t, dir, state, secrets };
}
