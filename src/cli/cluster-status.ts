/** `status` and `validate` of a cluster topology. */
import type { ClusterView, MemberView } from '../cluster/analyze.js';
import { formatSlots, splitSlots } from '../cluster/parse.js';
import { liveNodes } from '../cluster/start.js';
import { clusterStatus } from '../cluster/status.js';
import { bindPorts } from '../state/ports.js';
import { StateDir } from '../state/state-dir.js';
import { clusterNodes, type BoundTopology, type Topology } from '../topology/model.js';
import { formatBytes, formatDuration } from '../util/units.js';
import type { CommandResult, TopologyOptions } from './context.js';
import { startedTopology } from './context.js';

function link(m: MemberView): string {
  if (m.role !== 'replica') return '-';
  return m.syncing ? 'syncing' : m.linkUp ? 'up' : 'down';
}

function memberLine(m: MemberView): string {
  return [
    m.name.padEnd(14),
    m.address.padEnd(21),
    (m.reachable ? m.role : 'DOWN').padEnd(8),
    (m.clusterState ?? '-').padEnd(5),
    link(m).padEnd(8),
    String(m.offset).padEnd(11),
    (m.lagBytes === null ? '-' : formatBytes(m.lagBytes)).padEnd(9),
    (m.role === 'replica' ? (m.synced ? 'yes' : 'no') : '-').padEnd(7),
    [...m.flags, ...(m.agrees === false ? ['own-slot-map'] : [])].join(',') || '-',
  ].join(' ');
}

export function formatClusterStatus(v: ClusterView, pids: number): string {
  const lines = [
    `${v.healthy ? 'HEALTHY' : 'DEGRADED'}  cluster: ${v.shards.length} shards, slot map ${v.slotMap.agreed ? 'agreed' : `NOT agreed (${v.slotMap.dissenting.join(', ')})`}, ${v.slotMap.assigned}/16384 slots, epochs ${v.epochs.distinct && v.epochs.agreed ? 'distinct' : 'CONFLICTING'}, primaries ${v.primaries.reachable}/${v.primaries.total} (need ${v.primaries.needed})  processes: ${pids}`,
  ];
  for (const s of v.shards) {
    lines.push(
      '',
      `${s.name}  slots ${formatSlots(s.slots) || 'none'} (${s.slotCount})  ${s.state.toUpperCase()}  primary ${s.primary ?? 'none'} (epoch ${s.configEpoch ?? '-'})  replicas synced ${s.replicasSynced}/${s.replicasDeclared}`,
      '  NODE           ADDRESS               ROLE     STATE LINK     OFFSET      LAG       SYNCED  FLAGS',
      ...s.members.map((m) => `  ${memberLine(m)}`),
    );
  }
  if (v.problems.length) lines.push('', 'problems:', ...v.problems.map((p) => `  - ${p}`));
  return lines.join('\n');
}

export async function clusterStatusCommand(o: TopologyOptions): Promise<CommandResult> {
  const { t, dir, secrets } = await startedTopology(o, ['cluster']);
  const view = await clusterStatus(t, secrets);
  const processes = liveNodes(dir);
  return {
    text: formatClusterStatus(view, processes.length),
    json: { kind: 'cluster', ...view, processes },
    exitCode: view.healthy ? 0 : 1,
  };
}

function summary(t: BoundTopology, running: number): string {
  const nodes = clusterNodes(t);
  const ranges = splitSlots(t.cluster?.shards.length ?? 1);
  return [
    `${t.source}: valid (Redis Cluster)`,
    `cluster      ${t.cluster?.shards.length ?? 0} shards, ${nodes.length} nodes, node-timeout ${formatDuration(t.cluster?.nodeTimeoutMs ?? 0)}`,
    ...(t.cluster?.shards ?? []).flatMap((s, i) => [
      `shard        ${s.name.padEnd(12)} slots ${formatSlots(ranges.slice(i, i + 1))} when created`,
      ...nodes
        .filter((n) => n.shard === s.name)
        .map(
          (n) =>
            `  node       ${n.name.padEnd(12)} ${n.role.padEnd(8)} ${n.host}:${n.port}  bus ${n.busPort}${n.announce.ip || n.announce.port ? `  announces ${n.announce.ip ?? n.host}:${n.announce.port ?? n.port}` : ''}`,
        ),
    ]),
    `persistence  ${t.persistence.mode}${t.persistence.mode.includes('rdb') ? ` (save ${t.persistence.save.join(', ')})` : ''}`,
    `memory       maxmemory ${t.memory.maxmemoryBytes === 0 ? 'unlimited' : formatBytes(t.memory.maxmemoryBytes)}, ${t.memory.policy}`,
    `replication  diskless sync delay ${formatDuration(t.replication.disklessSyncDelayMs)}`,
    `state dir    ${t.stateDir}${running ? ` (running: ${running} nodes)` : ''}`,
    ...t.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

/** `validate` of a cluster topology: ports are checked free unless its nodes run. */
export async function clusterValidate(t: Topology): Promise<CommandResult> {
  const dir = new StateDir(t.stateDir);
  const running = liveNodes(dir).length;
  const bound = await bindPorts(t, dir.readState(), running === 0);
  return {
    text: summary(bound, running),
    json: { valid: true, topology: bound, running: running || null },
  };
}
