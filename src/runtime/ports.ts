import net from 'node:net';
import { RedisHaError } from '../errors/errors.js';
import { PREFERRED_NODE_PORT, PREFERRED_SENTINEL_PORT } from '../topology/defaults.js';
import { deepFreeze, type BoundTopology, type Member, type Topology } from '../topology/model.js';
import type { PersistedState } from './state-dir.js';

/** True when host:port can be bound right now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free on host (listen on 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
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
  const taken = new Set<string>();
  for (const m of [...t.nodes, ...t.sentinels])
    if (m.port !== 'auto') taken.add(`${m.host}:${m.port}`);
  const assign = async (m: Member, index: number): Promise<number> => {
    if (m.port !== 'auto') {
      if (checkFree && !(await isPortFree(m.host, m.port))) {
        const key = m.kind === 'node' ? 'nodes' : 'sentinels';
        throw new RedisHaError(
          'PORT_IN_USE',
          `${t.source}: ${key}.${m.name}.port: ${m.host}:${m.port} is already in use`,
          {
            hint: `another process listens there (see \`ss -ltnp 'sport = :${m.port}'\`); choose another port or "auto"`,
          },
        );
      }
      return m.port;
    }
    const kept = state.ports[m.name];
    const preferred = (m.kind === 'node' ? PREFERRED_NODE_PORT : PREFERRED_SENTINEL_PORT) + index;
    for (const candidate of [kept, preferred]) {
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
  for (const [i, n] of t.nodes.entries()) nodes.push({ ...n, port: await assign(n, i) });
  const sentinels = [];
  for (const [i, s] of t.sentinels.entries()) sentinels.push({ ...s, port: await assign(s, i) });
  for (const m of [...nodes, ...sentinels]) state.ports[m.name] = m.port;
  return deepFreeze({ ...t, nodes, sentinels });
}
