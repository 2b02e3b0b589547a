import type { BoundTopology, Member, NodeSpec, SentinelSpec } from '../topology/model.js';

/**
 * What a step costs the running topology: `none` (a member comes or goes, the others untouched),
 * `live` (taken by the running servers), `restart` (a rolling restart), `switchover` (the primary
 * changes), `next-up` (a setting of redis-ha's own processes: read at the next `redis-ha up`).
 */
export type StepEffect = 'none' | 'live' | 'restart' | 'switchover' | 'next-up';

export type ApplyStep =
  | { kind: 'add-replica'; node: NodeSpec<number>; effect: 'none' }
  | { kind: 'remove-replica'; node: NodeSpec<number>; effect: 'none' | 'switchover' }
  | { kind: 'add-sentinel'; sentinel: SentinelSpec<number>; effect: 'none' }
  | { kind: 'remove-sentinel'; sentinel: SentinelSpec<number>; effect: 'none' }
  | { kind: 'sentinel-set'; param: string; from: string; to: string; effect: 'live' }
  | { kind: 'config-set-live'; param: string; from: string; to: string; effect: 'live' }
  | { kind: 'rolling-restart'; reasons: string[]; effect: 'switchover' }
  | { kind: 'next-up'; key: string; from: string; to: string; effect: 'next-up' }
  | { kind: 'forget'; who: string[]; effect: 'none' }
  | { kind: 'unsupported'; what: string; effect: 'none' };

export interface ObservedState {
  /** The node the sentinels confirm as primary now (undefined: unknown). */
  primary?: string | undefined;
  /** Addresses the sentinels still know that are no member (a removal cut short): forgotten. */
  strangers?: string[];
  /** The reasons of a rolling restart cut short (rolling.json): planned again to finish it. */
  unfinishedRoll?: string[] | undefined;
}

export interface ApplyPlan {
  steps: ApplyStep[];
  /** Nothing to do: the topology running is the one desired. */
  empty: boolean;
}

/** Redis settings that `CONFIG SET` takes on a running node (then `CONFIG REWRITE`). */
export function liveNodeSettings(t: BoundTopology): Record<string, string> {
  const p = t.persistence;
  const rdb = p.mode === 'rdb' || p.mode === 'rdb+aof';
  const r = t.replication;
  return {
    maxmemory: String(t.memory.maxmemoryBytes),
    'maxmemory-policy': t.memory.policy,
    save: rdb ? p.save.join(' ') : '',
    appendonly: p.mode === 'aof' || p.mode === 'rdb+aof' ? 'yes' : 'no',
    appendfsync: p.appendfsync,
    'repl-backlog-size': String(r.backlogBytes),
    'repl-diskless-sync-delay': String(Math.round(r.disklessSyncDelayMs / 1000)),
    'min-replicas-max-lag': String(Math.max(1, Math.round(r.minReplicasMaxLagMs / 1000))),
  };
}

/** Settings a node reads only at start: a change is a rolling restart. */
export function restartNodeSettings(t: BoundTopology): Record<string, string> {
  return {
    'auth.appCommands': t.auth.appCommands.join(' '),
    ...Object.fromEntries(t.nodes.map((n) => [`nodes.${n.name}.bind`, n.bind.join(' ')])),
  };
}

/**
 * Settings every member and client must change at once: a roll would leave replicas and their
 * primary (and the sentinels) speaking TLS and plaintext, or different auth, mid-way, and their
 * links would break. Not done by apply.
 */
function wholeSystemSettings(t: BoundTopology): Record<string, string> {
  return { tls: JSON.stringify(t.tls), 'auth.mode': t.auth.mode };
}

/** `SENTINEL SET` parameters, the same on every sentinel. */
export function sentinelSettings(t: BoundTopology): Record<string, string> {
  return {
    quorum: String(t.quorum),
    'down-after-milliseconds': String(t.sentinel.downAfterMs),
    'failover-timeout': String(t.sentinel.failoverTimeoutMs),
    'parallel-syncs': String(t.sentinel.parallelSyncs),
  };
}

/** Settings of redis-ha's own processes: read by `up` at start, not by Redis or Sentinel. */
function nextUpSettings(t: BoundTopology): Record<string, string> {
  const r = t.replication;
  return {
    supervisor: JSON.stringify(t.supervisor),
    endpoint: JSON.stringify(t.endpoint),
    exporter: JSON.stringify(t.exporter),
    dashboard: JSON.stringify(t.dashboard),
    backup: JSON.stringify(t.backup ?? null),
    'replication.minReplicasToWrite': String(r.minReplicasToWrite),
    'replication.singleCopyWrites': String(r.singleCopyWrites),
    'replication.syncTimeout': String(r.syncTimeoutMs),
    'sentinel debug periods': JSON.stringify(t.sentinel.debugPeriods),
    ...Object.fromEntries(t.nodes.map((n) => [`nodes.${n.name}.priority`, String(n.priority)])),
  };
}

type Change = { key: string; from: string; to: string };

function changes(a: Record<string, string>, b: Record<string, string>): Change[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((k) => a[k] !== undefined && b[k] !== undefined && a[k] !== b[k])
    .map((k) => ({ key: k, from: a[k] ?? '', to: b[k] ?? '' }));
}

const same = (a: Member<number>, b: Member<number>): boolean =>
  a.host === b.host && a.port === b.port;

/** Members: added, removed, and those whose address changed (not done in place). */
function memberSteps(
  running: BoundTopology,
  desired: BoundTopology,
  o: ObservedState,
): ApplyStep[] {
  const steps: ApplyStep[] = [];
  const named = <M extends Member<number>>(l: readonly M[], n: string): M | undefined =>
    l.find((m) => m.name === n);
  for (const n of desired.nodes) {
    const was = named(running.nodes, n.name);
    if (!was) steps.push({ kind: 'add-replica', node: n, effect: 'none' });
    else if (!same(was, n))
      steps.push({ kind: 'unsupported', what: `moving node ${n.name}`, effect: 'none' });
  }
  for (const s of desired.sentinels) {
    const was = named(running.sentinels, s.name);
    if (!was) steps.push({ kind: 'add-sentinel', sentinel: s, effect: 'none' });
    else if (!same(was, s))
      steps.push({ kind: 'unsupported', what: `moving sentinel ${s.name}`, effect: 'none' });
  }
  for (const n of running.nodes)
    if (!named(desired.nodes, n.name))
      steps.push({
        kind: 'remove-replica',
        node: n,
        effect: n.name === (o.primary ?? '') ? 'switchover' : 'none',
      });
  for (const s of running.sentinels)
    if (!named(desired.sentinels, s.name))
      steps.push({ kind: 'remove-sentinel', sentinel: s, effect: 'none' });
  return steps;
}

/**
 * The one planner (`apply`, `restart --rolling`, deploy): what must change for the running
 * topology to become the desired one, in a safe order. Pure: the observed state is an input.
 * Order: members added first (a quorum keeps knowing a promotable replica while others go),
 * settings taken live, a rolling restart for what a node reads only at start, removals last.
 */
export function planApply(
  running: BoundTopology,
  desired: BoundTopology,
  o: ObservedState = {},
): ApplyPlan {
  const steps: ApplyStep[] = [];
  if (running.masterName !== desired.masterName)
    steps.push({ kind: 'unsupported', what: 'renaming the master', effect: 'none' });
  if (running.kind !== desired.kind)
    steps.push({ kind: 'unsupported', what: 'changing the topology kind', effect: 'none' });
  const members = memberSteps(running, desired, o);
  const adds = members.filter((s) => s.kind === 'add-replica' || s.kind === 'add-sentinel');
  steps.push(...members.filter((s) => s.kind === 'unsupported'), ...adds);
  for (const c of changes(sentinelSettings(running), sentinelSettings(desired)))
    steps.push({ kind: 'sentinel-set', param: c.key, from: c.from, to: c.to, effect: 'live' });
  for (const c of changes(liveNodeSettings(running), liveNodeSettings(desired)))
    steps.push({ kind: 'config-set-live', param: c.key, from: c.from, to: c.to, effect: 'live' });
  for (const c of changes(wholeSystemSettings(running), wholeSystemSettings(desired)))
    steps.unshift({
      kind: 'unsupported',
      what: `${c.key}: ${c.from} -> ${c.to} (every member and client at once; a rolling restart would break replication mid-way)`,
      effect: 'none',
    });
  const restart = changes(restartNodeSettings(running), restartNodeSettings(desired)).map(
    (c) => `${c.key}: ${c.from} -> ${c.to}`,
  );
  const reasons =
    restart.length > 0
      ? restart
      : o.unfinishedRoll?.map((r) => (r.startsWith('unfinished: ') ? r : `unfinished: ${r}`));
  if (reasons?.length) steps.push({ kind: 'rolling-restart', reasons, effect: 'switchover' });
  for (const c of changes(nextUpSettings(running), nextUpSettings(desired)))
    steps.push({ kind: 'next-up', key: c.key, from: c.from, to: c.to, effect: 'next-up' });
  steps.push(...members.filter((s) => s.kind === 'remove-replica' || s.kind === 'remove-sentinel'));
  if (o.strangers?.length) steps.push({ kind: 'forget', who: o.strangers, effect: 'none' });
  return { steps, empty: steps.every((s) => s.kind === 'next-up') };
}

const EFFECT: Record<StepEffect, string> = {
  none: 'no restart',
  live: 'live, no restart',
  restart: 'restart',
  switchover: 'restart + switchover',
  'next-up': 'at the next `redis-ha up`',
};

/** One line of the diff-like plan. */
export function describeStep(s: ApplyStep): string {
  const fx =
    s.kind === 'remove-replica' && s.effect === 'switchover'
      ? 'switchover first'
      : EFFECT[s.effect];
  switch (s.kind) {
    case 'add-replica':
      return `+ node ${s.node.name} (${s.node.host}:${s.node.port}) as a replica, priority 0 until synced [${fx}]`;
    case 'remove-replica':
      return `- node ${s.node.name} (${s.node.host}:${s.node.port}) [${fx}]`;
    case 'add-sentinel':
      return `+ sentinel ${s.sentinel.name} (${s.sentinel.host}:${s.sentinel.port}) [${fx}]`;
    case 'remove-sentinel':
      return `- sentinel ${s.sentinel.name} (${s.sentinel.host}:${s.sentinel.port}), SENTINEL RESET one at a time [${fx}]`;
    case 'sentinel-set':
      return `~ sentinel ${s.param}: ${s.from} -> ${s.to} (SENTINEL SET everywhere) [${fx}]`;
    case 'config-set-live':
      return `~ redis ${s.param}: "${s.from}" -> "${s.to}" (CONFIG SET + REWRITE) [${fx}]`;
    case 'rolling-restart':
      return `! rolling restart of the nodes (replicas, switchover, old primary): ${s.reasons.join('; ')} [${fx}]`;
    case 'next-up':
      return `~ ${s.key}: ${s.from} -> ${s.to} [${fx}]`;
    case 'forget':
      return `- forget ${s.who.join(', ')} (no member, still known to the sentinels), SENTINEL RESET one at a time [${fx}]`;
    case 'unsupported':
      return `x ${s.what}: not done by apply (stop, edit, start again)`;
  }
}

export function describePlan(p: ApplyPlan): string {
  if (p.steps.length === 0) return 'nothing to do: the running topology is the one in the file';
  return p.steps.map(describeStep).join('\n');
}
