import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { RedisHaError } from '../errors/errors.js';
import {
  PREFERRED_ENDPOINT_PORT,
  PREFERRED_EXPORTER_PORT,
  PREFERRED_DASHBOARD_PORT,
  PREFERRED_NODE_PORT,
  PREFERRED_SENTINEL_PORT,
} from '../topology/defaults.js';
import { deepFreeze, type BoundTopology, type Port, type Topology } from '../topology/model.js';
import type { PersistedState } from './state-dir.js';
import { bindClusterPorts } from './cluster-ports.js';

/** Loopback, a wildcard, or an address of this machine's interfaces: ports can be probed. */
export function isLocalAddress(host: string): boolean {
  if (/^127\./.test(host) || ['::1', 'localhost', '0.0.0.0', '::', '*'].includes(host)) return true;
  return Object.values(networkInterfaces()).some((l) => l?.some((a) => a.address === host));
}

/** True when host:port can be bound right now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function probePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Ports this process already handed out: a probed port is released at once and may recur. */
const handedOut = new Set<number>();

/** A port the OS says is free on host (listen on 0), never one this process returned before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await probePort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return probePort(host);
}

/**
 * Gives every `auto` port a number: the one kept in state, else the seed's (6379+i / 26379+i)
 * when free, else any free port. Explicit ports are kept; `checkFree` reports taken ones.
 * Mutates `state.ports` so the choice sticks.
 */
export async function bindPorts(
  t: Topology,
  state: PersistedState,
  checkFree: boolean,
): Promise<BoundTopology> {
  if (t.kind === 'cluster') return bindClusterPorts(t, state, checkFree);
  const proxy = t.endpoint.mode === 'proxy';
  const taken = new Set<string>();
  const read = proxy ? t.endpoint.readListen : undefined;
  const fixed = [
    ...t.nodes,
    ...t.sentinels,
    ...(proxy ? [t.endpoint.listen] : []),
    ...(read ? [read] : []),
    ...(t.exporter.enabled ? [t.exporter.listen] : []),
    ...(t.dashboard.enabled ? [t.dashboard.listen] : []),
  ];
  for (const m of fixed) if (m.port !== 'auto') taken.add(`${m.host}:${m.port}`);
  /** `stateKey` keeps an auto choice across runs; `keyPath` names it in errors. */
  const assign = async (
    m: { host: string; port: Port },
    stateKey: string,
    keyPath: string,
    preferred: number,
    base = preferred,
  ): Promise<number> => {
    if (m.port !== 'auto') {
      if (checkFree && !(await isPortFree(m.host, m.port))) {
        throw new RedisHaError(
          'PORT_IN_USE',
          `${t.source}: ${keyPath}: ${m.host}:${m.port} is already in use`,
          {
            hint: `another process listens there (see \`ss -ltnp 'sport = :${m.port}'\`); choose another port or "auto"`,
          },
        );
      }
      return m.port;
    }
    if (!isLocalAddress(m.host)) {
      // Another machine's address (a host bundle, the lab): nothing to probe here, and each
      // host has its own ports: the seed's, the next one when its host already uses it.
      let p = state.ports[stateKey] ?? base;
      while (taken.has(`${m.host}:${p}`)) p++;
      taken.add(`${m.host}:${p}`);
      return p;
    }
    for (const candidate of [state.ports[stateKey], preferred]) {
      if (candidate === undefined || taken.has(`${m.host}:${candidate}`)) continue;
      if (!checkFree || (await isPortFree(m.host, candidate))) {
        taken.add(`${m.host}:${candidate}`);
        return candidate;
      }
    }
    for (;;) {
      const p = await freePort(m.host);
      if (!taken.has(`${m.host}:${p}`)) {
        taken.add(`${m.host}:${p}`);
        return p;
      }
    }
  };
  const nodes = [];
  for (const [i, n] of t.nodes.entries())
    nodes.push({
      ...n,
      port: await assign(
        n,
        n.name,
        `nodes.${n.name}.port`,
        PREFERRED_NODE_PORT + i,
        PREFERRED_NODE_PORT,
      ),
    });
  const sentinels = [];
  for (const [i, s] of t.sentinels.entries())
    sentinels.push({
      ...s,
      port: await assign(
        s,
        s.name,
        `sentinels.${s.name}.port`,
        PREFERRED_SENTINEL_PORT + i,
        PREFERRED_SENTINEL_PORT,
      ),
    });
  for (const m of [...nodes, ...sentinels]) state.ports[m.name] = m.port;
  // Names cannot start with "@", so the endpoint's key never collides with a member's.
  const listenPort = proxy
    ? await assign(t.endpoint.listen, '@endpoint', 'endpoint.listen', PREFERRED_ENDPOINT_PORT)
    : 0;
  if (proxy) state.ports['@endpoint'] = listenPort;
  const readPort = read
    ? await assign(read, '@endpoint-read', 'endpoint.readListen', PREFERRED_ENDPOINT_PORT + 1)
    : 0;
  if (read) state.ports['@endpoint-read'] = readPort;
  const exporterPort = t.exporter.enabled
    ? await assign(t.exporter.listen, '@exporter', 'exporter.listen', PREFERRED_EXPORTER_PORT)
    : 0;
  if (t.exporter.enabled) state.ports['@exporter'] = exporterPort;
  const dashboardPort = t.dashboard.enabled
    ? await assign(t.dashboard.listen, '@dashboard', 'dashboard.listen', PREFERRED_DASHBOARD_PORT)
    : 0;
  if (t.dashboard.enabled) state.ports['@dashboard'] = dashboardPort;
  return deepFreeze({
    ...t,
    nodes,
    sentinels,
    endpoint: {
      ...t.endpoint,
      listen: { host: t.endpoint.listen.host, port: listenPort },
      readListen: read ? { host: read.host, port: readPort } : undefined,
    },
    exporter: { ...t.exporter, listen: { host: t.exporter.listen.host, port: exporterPort } },
    dashboard: { ...t.dashboard, listen: { host: t.dashboard.listen.host, port: dashboardPort } },
  });
}
