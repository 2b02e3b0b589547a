import type { StateDir } from '../state/state-dir.js';
import { caFile } from '../state/tls.js';
import { clusterNodes, type BoundTopology } from '../topology/model.js';

/** How applications reach a cluster: its seed nodes, a cluster-aware client, the user app. */
export function clusterConnectionHelp(t: BoundTopology, dir: StateDir): string {
  const seeds = clusterNodes(t)
    .filter((n) => n.role === 'primary')
    .map((n) => `${n.host}:${n.port}`);
  const tls = t.tls.enabled ? `--tls --cacert ${caFile(t)} ` : '';
  const [host, port] = (seeds[0] ?? '127.0.0.1:0').split(':');
  const user = t.auth.mode === 'acl' ? '--user app ' : '';
  return [
    `cluster healthy: ${t.cluster?.shards.length ?? 0} shards, ${t.nodes.length} nodes, each shard supervised (a primary that dies or hangs is failed over at once); seed nodes ${seeds.join(', ')}`,
    ...(t.exporter.enabled
      ? [
          `metrics: http://${t.exporter.listen.host}:${t.exporter.listen.port}/metrics (Prometheus, per shard; HTTP Basic as the monitor user)`,
        ]
      : []),
    `clients need Redis Cluster support (e.g. ioredis's Cluster, redis-cli -c), as ${t.auth.mode === 'acl' ? 'user app' : 'the shared password'} (\`npx redis-ha secrets\`, stored 0600 in ${dir.secretsFile}); e.g. redis-cli -c ${tls}-h ${host} -p ${port} ${user}--askpass`,
  ].join('\n');
}
