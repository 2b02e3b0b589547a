import { RedisHaError } from '../../errors/errors.js';
import { runningSupervisor } from '../../state/lock.js';
import { bindPorts } from '../../state/ports.js';
import { StateDir } from '../../state/state-dir.js';
import { formatBytes, formatDuration } from '../../util/units.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

export async function validateCommand(o: TopologyOptions): Promise<CommandResult> {
  const t = topologyFrom(o, ['sentinel', 'cluster']);
  if (t.kind === 'cluster') return (await import('../cluster-status.js')).clusterValidate(t);
  const dir = new StateDir(t.stateDir);
  const running = runningSupervisor(dir);
  // Ports of a running topology are in use by itself; check only when it is not running.
  const bound = await bindPorts(t, dir.readState(), running === undefined).catch((e: unknown) => {
    if (e instanceof RedisHaError && e.code === 'PORT_IN_USE') throw e;
    throw e;
  });
  const lines = [
    `${t.source}: valid`,
    `master name  ${t.masterName}, quorum ${t.quorum} of ${t.sentinels.length} sentinels`,
    ...bound.nodes.map(
      (n) =>
        `node         ${n.name.padEnd(12)} ${n.role.padEnd(8)} ${n.host}:${n.port}${n.role === 'replica' ? `  priority ${n.priority}` : ''}`,
    ),
    ...bound.sentinels.map((s) => `sentinel     ${s.name.padEnd(12)} ${s.host}:${s.port}`),
    `persistence  ${t.persistence.mode}${t.persistence.mode.includes('rdb') ? ` (save ${t.persistence.save.join(', ')})` : ''}`,
    `memory       maxmemory ${t.memory.maxmemoryBytes === 0 ? 'unlimited' : formatBytes(t.memory.maxmemoryBytes)}, ${t.memory.policy}`,
    `sentinel     down-after ${formatDuration(t.sentinel.downAfterMs)}, failover-timeout ${formatDuration(t.sentinel.failoverTimeoutMs)}, parallel-syncs ${t.sentinel.parallelSyncs}`,
    `replication  min-replicas-to-write ${t.replication.minReplicasToWrite} (max lag ${formatDuration(t.replication.minReplicasMaxLagMs)}), diskless sync delay ${formatDuration(t.replication.disklessSyncDelayMs)}`,
    `state dir    ${t.stateDir}${running ? ` (running, supervisor pid ${running})` : ''}`,
    ...t.warnings.map((w) => `warning: ${w}`),
  ];
  return {
    text: lines.join('\n'),
    json: { valid: true, topology: bound, running: running ?? null },
  };
}
