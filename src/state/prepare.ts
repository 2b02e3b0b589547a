import { RedisHaError } from '../errors/errors.js';
import type { BoundTopology, Topology } from '../topology/model.js';
import { bindPorts } from './ports.js';
import { loadOrCreateSecrets, readSecrets, type Secrets } from './secrets.js';
import { StateDir, newSentinelId, type PersistedState } from './state-dir.js';
import { ensureTls, withTls } from './tls.js';

/** A topology with what it needs on disk: ports bound, sentinel ids, TLS material, secrets. */
export interface PreparedState {
  t: BoundTopology;
  dir: StateDir;
  state: PersistedState;
  secrets: Secrets;
}

/**
 * The one state preparation, whatever comes next (`up`, local configs, host bundles, the lab,
 * deploy): ports bound and kept, a fixed id per sentinel, the TLS material issued, the secrets
 * created on first use, all recorded in the state dir. `checkFree`: explicit ports must be free
 * now (`up` on this machine).
 */
export async function prepareState(
  topology: Topology,
  o: { checkFree?: boolean } = {},
): Promise<PreparedState> {
  const dir = new StateDir(topology.stateDir);
  dir.ensure();
  const state = dir.readState();
  const t = await bindPorts(topology, state, o.checkFree ?? false);
  for (const s of t.sentinels) state.sentinelIds[s.name] ??= newSentinelId();
  ensureTls(t);
  const secrets = withTls(loadOrCreateSecrets(dir), t);
  dir.writeState(state);
  return { t, dir, state, secrets };
}

/** A topology started (or rendered) before: its ports, state and secrets; nothing is created. */
export async function openState(topology: Topology): Promise<PreparedState> {
  const dir = new StateDir(topology.stateDir);
  const secrets = readSecrets(dir);
  if (!secrets) {
    throw new RedisHaError('NOT_RUNNING', `nothing has been started from ${dir.root}`, {
      hint: 'start it with `redis-ha up`',
    });
  }
  const state = dir.readState();
  const before = JSON.stringify(state.ports);
  const t = await bindPorts(topology, state, false);
  // A daemon run alone (proxy, exporter) keeps an `auto` port it chose for next time.
  if (JSON.stringify(state.ports) !== before) dir.writeState(state);
  return { t, dir, state, secrets: withTls(secrets, topology) };
}
