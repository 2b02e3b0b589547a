import { pairsList, pairsToRecord } from '../redis/info.js';
import type { NodeSpec, SentinelSpec } from '../topology/model.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import { isEligible } from './failover.js';

/** What every wait on the sentinels answers: done, or why not yet. */
type Check = true | { pending: string };

const DOWN_FLAGS = /s_down|o_down|disconnected/;
type Addr = { host: string; port: number };
const at = (m: Addr) => (r: Record<string, string>) => r.ip === m.host && Number(r.port) === m.port;

/** "host:port" of a member or an address Sentinel lists. */
export const addr = (m: Addr): string => `${m.host}:${m.port}`;

/** What the sentinels know that is not a member of their topology (host:port). */
export async function strangers(view: ClusterView): Promise<string[]> {
  const t = view.topology;
  const members = new Set([...t.nodes, ...t.sentinels].map(addr));
  const seen = new Set<string>();
  for (const s of t.sentinels)
    for (const what of ['REPLICAS', 'SENTINELS'] as const)
      for (const r of (await ask(view, s, what)) ?? [])
        seen.add(addr({ host: r.ip ?? '', port: Number(r.port) }));
  return [...seen].filter((a) => !members.has(a)).sort();
}

function ask(view: ClusterView, s: SentinelSpec<number>, what: 'REPLICAS' | 'SENTINELS') {
  return view.links
    .once(s, (r) => r.call('SENTINEL', what, view.topology.masterName))
    .then(pairsList, () => undefined);
}

/** Every sentinel answers CKQUORUM OK (it knows enough others to authorize a failover). */
export async function quorumProblem(
  view: ClusterView,
  among: readonly SentinelSpec<number>[] = view.topology.sentinels,
): Promise<{ pending: string } | undefined> {
  for (const o of among) {
    const ok = await view.links
      .once(o, (r) => r.call('SENTINEL', 'CKQUORUM', view.topology.masterName))
      .then(
        (x) => String(x),
        (e: unknown) => String(e),
      );
    if (!ok.startsWith('OK')) return { pending: `${o.name}: ${ok}` };
  }
  return undefined;
}

/** Every other sentinel counts `s` (a hello from it since `since`, not down), and a quorum holds. */
export async function countedBy(
  view: ClusterView,
  s: SentinelSpec<number>,
  since: number,
): Promise<Check> {
  for (const o of view.topology.sentinels) {
    if (o.name === s.name) continue;
    const me = (await ask(view, o, 'SENTINELS'))?.find(at(s));
    const heardMs = Number(me?.['last-hello-message'] ?? Infinity);
    if (!me || DOWN_FLAGS.test(me.flags ?? '') || heardMs > Date.now() - since)
      return { pending: `${o.name} has not heard from ${s.name} since its start` };
  }
  return (await quorumProblem(view)) ?? true;
}

/** Bounded: every sentinel sees `node` as promotable (synced, priority raised, link up). */
export async function promotable(view: ClusterView, node: NodeSpec<number>): Promise<void> {
  await waitFor(
    async (): Promise<Check> => {
      for (const s of view.topology.sentinels) {
        const me = (await ask(view, s, 'REPLICAS'))?.find(at(node));
        if (!me || !isEligible(me))
          return { pending: `${s.name} does not see ${node.name} as promotable` };
      }
      return true;
    },
    { timeoutMs: 15_000, intervalMs: 100, what: `the sentinels to see ${node.name} as promotable` },
  );
}

/**
 * Safe to SENTINEL RESET one of them: no failover under way anywhere (a reset aborts a leader's
 * failover before its +switch-master and leaves it naming the old primary for good), and every
 * sentinel names the primary the view confirms.
 */
export async function settled(view: ClusterView): Promise<Check> {
  await view.look();
  const p = view.primary;
  if (!p) return { pending: 'no confirmed primary' };
  for (const s of view.topology.sentinels) {
    const m = await view.links
      .once(s, (r) => r.call('SENTINEL', 'MASTER', view.topology.masterName))
      .then(pairsToRecord, () => undefined);
    if (!m) return { pending: `${s.name} does not answer` };
    if (/failover_in_progress|o_down/.test(m.flags ?? ''))
      return { pending: `${s.name}: a failover is under way` };
    if (!at(p)(m)) return { pending: `${s.name} does not name ${p.name} yet` };
  }
  return true;
}

/** How many sentinels know a replica they could promote now. */
export async function knowingPromotable(view: ClusterView): Promise<number> {
  const known = await Promise.all(
    view.topology.sentinels.map(async (s) => (await ask(view, s, 'REPLICAS'))?.some(isEligible)),
  );
  return known.filter(Boolean).length;
}

/**
 * After SENTINEL RESET on `s`: it knows every replica and every other sentinel of the topology
 * again, and nothing of `gone`.
 */
export async function relearned(
  view: ClusterView,
  s: SentinelSpec<number>,
  gone: readonly Addr[],
): Promise<Check> {
  const t = view.topology;
  const replicas = await ask(view, s, 'REPLICAS');
  const sentinels = await ask(view, s, 'SENTINELS');
  if (!replicas || !sentinels) return { pending: `${s.name} does not answer` };
  const still = gone.filter((g) => [...replicas, ...sentinels].some(at(g)));
  if (still.length > 0) return { pending: `${s.name} still knows ${still.map(addr).join(', ')}` };
  const primary = view.primary?.name;
  for (const n of t.nodes.filter((x) => x.name !== primary))
    if (!replicas.find(at(n))) return { pending: `${s.name} does not know replica ${n.name} yet` };
  for (const o of t.sentinels.filter((x) => x.name !== s.name))
    if (!sentinels.find(at(o))) return { pending: `${s.name} has not heard from ${o.name} yet` };
  return true;
}
