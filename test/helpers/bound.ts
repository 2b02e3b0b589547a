import { resolveTopology } from '../../src/topology/load.js';
import { deepFreeze, type BoundTopology } from '../../src/topology/model.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';

/** A topology with fixed fake ports for pure tests: nodes from nodeBase, sentinels from sentinelBase. */
export function boundTopology(
  input: unknown = SEED_TOPOLOGY,
  nodeBase = 7000,
  sentinelBase = nodeBase + 2,
): BoundTopology {
  const t = resolveTopology(input, 'seed', '/tmp');
  return deepFreeze({
    ...t,
    nodes: t.nodes.map((n, i) => ({ ...n, port: nodeBase + i })),
    sentinels: t.sentinels.map((s, i) => ({ ...s, port: sentinelBase + i })),
    endpoint: {
      ...t.endpoint,
      listen: { host: t.endpoint.listen.host, port: 6390 },
      readListen: t.endpoint.readListen && { host: t.endpoint.readListen.host, port: 6391 },
    },
    exporter: { ...t.exporter, listen: { host: t.exporter.listen.host, port: 9121 } },
    dashboard: { ...t.dashboard, listen: { host: t.dashboard.listen.host, port: 9122 } },
  });
}
