import { RedisHaError } from '../errors/errors.js';
import {
  CLUSTER_BUS_OFFSET,
  PREFERRED_CLUSTER_PORT,
  PREFERRED_EXPORTER_PORT,
} from '../topology/defaults.js';
import {
  clusterNodes,
  deepFreeze,
  type BoundTopology,
  type ClusterNodeSpec,
  type Port,
  type Topology,
} from '../topology/model.js';
import { freePort, isLocalAddress, isPortFree } from './ports.js';
import type { PersistedState } from './state-dir.js';

/** Auto ports stay below this, so bus ports (port + 10000) stay below the ephemeral range. */
const AUTO_LIMIT = 32768 - CLUSTER_BUS_OFFSET;

const busKey = (name: string): string => `${name}@bus`;

interface Binder {
  t: Topology;
  taken: Set<string>;
  checkFree: boolean;
}

async function usable(b: Binder, host: string, port: number): Promise<boolean> {
  if (port < 1 || port > 65535 || b.taken.has(`${host}:${port}`)) return false;
  return !b.checkFree || !isLocalAddress(host) || isPortFree(host, port);
}

async function explicit(b: Binder, n: ClusterNodeSpec, port: number, what: string): Promise<void> {
  if (b.checkFree && isLocalAddress(n.host) && !(await isPortFree(n.host, port)))
    throw new RedisHaError(
      'PORT_IN_USE',
      `${b.t.source}: cluster node ${n.name}: ${what} ${n.host}:${port} is already in use`,
      {
        hint: `another process listens there (see \`ss -ltnp 'sport = :${port}'\`); choose another port or "auto"`,
      },
    );
}

/** A data port and its bus port, both usable: the kept pair, else the first free from `from`. */
async function pickPair(
  b: Binder,
  n: ClusterNodeSpec,
  kept: number | undefined,
  keptBus: number | undefined,
  from: number,
): Promise<[number, number]> {
  const fixedBus = n.busPort === 'auto' ? undefined : n.busPort;
  const busFor = (p: number): number => fixedBus ?? p + CLUSTER_BUS_OFFSET;
  if (kept !== undefined) {
    const bus = fixedBus ?? keptBus ?? busFor(kept);
    if (
      (await usable(b, n.host, kept)) &&
      (fixedBus !== undefined || (await usable(b, n.host, bus)))
    )
      return [kept, bus];
  }
  for (let p = from; p < AUTO_LIMIT; p++)
    if (
      (await usable(b, n.host, p)) &&
      (fixedBus !== undefined || (await usable(b, n.host, busFor(p))))
    )
      return [p, busFor(p)];
  throw new RedisHaError(
    'PORT_IN_USE',
    `${b.t.source}: cluster node ${n.name}: no free port with a free bus port (port + 10000) between ${from} and ${AUTO_LIMIT - 1} on ${n.host}`,
    { hint: 'give the node an explicit `port` and `busPort`' },
  );
}

/** An explicit data port with `busPort: auto`: port + 10000 when usable, else a free one from 17000. */
async function pickBus(
  b: Binder,
  n: ClusterNodeSpec,
  port: number,
  kept?: number,
): Promise<number> {
  for (const c of [kept, port + CLUSTER_BUS_OFFSET])
    if (c !== undefined && (await usable(b, n.host, c))) return c;
  const [, bus] = await pickPair(
    b,
    { ...n, busPort: 'auto' },
    undefined,
    undefined,
    PREFERRED_CLUSTER_PORT,
  );
  return bus;
}

/** The exporter's port: explicit (checked), else the kept one, 9121, or any free one. */
async function exporterPort(b: Binder, kept: number | undefined): Promise<number> {
  const { host, port } = b.t.exporter.listen;
  if (port !== 'auto') {
    if (await usable(b, host, port)) return port;
    throw new RedisHaError(
      'PORT_IN_USE',
      `${b.t.source}: exporter.listen: ${host}:${port} is already in use`,
      { hint: `choose another port or "auto" (see \`ss -ltnp 'sport = :${port}'\`)` },
    );
  }
  for (const c of [kept, PREFERRED_EXPORTER_PORT])
    if (c !== undefined && (await usable(b, host, c))) return c;
  // Another machine's address: nothing to probe here, the next port it does not use yet.
  for (let next = PREFERRED_EXPORTER_PORT + 1; ; next++) {
    const p = isLocalAddress(host) ? await freePort(host) : next;
    if (await usable(b, host, p)) return p;
  }
}

/**
 * `bindPorts` for a cluster topology: every node's data port and bus port. `auto` keeps the pair
 * chosen before (state dir), else takes 7000+i / 17000+i, else the next pair whose two ports are
 * free; explicit ports are checked when `checkFree`. Mutates `state.ports` so the choice sticks.
 */
export async function bindClusterPorts(
  t: Topology,
  state: PersistedState,
  checkFree: boolean,
): Promise<BoundTopology> {
  const b: Binder = { t, taken: new Set(), checkFree };
  const claim = (host: string, p: Port): void => {
    if (p !== 'auto') b.taken.add(`${host}:${p}`);
  };
  const all = clusterNodes(t);
  for (const n of all) {
    claim(n.host, n.port);
    claim(n.host, n.busPort);
  }
  const nodes: ClusterNodeSpec<number>[] = [];
  for (const [i, n] of all.entries()) {
    let port: number;
    let bus: number;
    if (n.port === 'auto') {
      // Another machine's ports are its own: 7000, 7001, ... per host.
      const from = isLocalAddress(n.host) ? PREFERRED_CLUSTER_PORT + i : PREFERRED_CLUSTER_PORT;
      [port, bus] = await pickPair(b, n, state.ports[n.name], state.ports[busKey(n.name)], from);
    } else {
      port = n.port;
      await explicit(b, n, port, 'port');
      bus =
        n.busPort === 'auto' ? await pickBus(b, n, port, state.ports[busKey(n.name)]) : n.busPort;
      if (n.busPort !== 'auto') await explicit(b, n, bus, 'bus port');
    }
    claim(n.host, port);
    claim(n.host, bus);
    state.ports[n.name] = port;
    state.ports[busKey(n.name)] = bus;
    nodes.push({ ...n, port, busPort: bus });
  }
  const off = (host: string): { host: string; port: number } => ({ host, port: 0 });
  // Names cannot start with "@": the exporter's key never collides with a node's.
  const exporter = t.exporter.enabled ? await exporterPort(b, state.ports['@exporter']) : 0;
  if (t.exporter.enabled) state.ports['@exporter'] = exporter;
  return deepFreeze({
    ...t,
    nodes,
    sentinels: [],
    endpoint: { ...t.endpoint, listen: off(t.endpoint.listen.host), readListen: undefined },
    exporter: { ...t.exporter, listen: { host: t.exporter.listen.host, port: exporter } },
    dashboard: { ...t.dashboard, listen: off(t.dashboard.listen.host) },
  });
}
