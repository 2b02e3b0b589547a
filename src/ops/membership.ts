import { withView } from '../view/with-view.js';
import { RedisHaError } from '../errors/errors.js';
import { withClient } from '../redis/client.js';
import { credentials, sentinelCredentials } from '../state/credentials.js';
import { runningSupervisor } from '../state/lock.js';
import type { PreparedState } from '../state/prepare.js';
import type { StateDir } from '../state/state-dir.js';
import type { BoundTopology, Member, NodeSpec, SentinelSpec } from '../topology/model.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import { countedBy, knowingPromotable, promotable, relearned, settled } from './sentinel-waits.js';
import { runSwitchover } from './switchover.js';

/** One member added or removed by `apply`, as it went. */
export interface MemberChange {
  step: string;
  member: string;
  /** Removals: the quorum sampler's 100 ms samples, and those where no quorum of sentinels knew a promotable replica. */
  samples?: number;
  withoutQuorum?: number;
  switchedOver?: string | undefined;
}

export interface MembershipCtx {
  p: PreparedState;
  progress: (line: string) => void;
  log: (message: string, data: Record<string, unknown>) => void;
}

const SAMPLE_MS = 100;

/** The topology with `m` added (or put back in place of the member of the same name). */
export function withMember(t: BoundTopology, m: Member<number>): BoundTopology {
  return m.kind === 'node'
    ? { ...t, nodes: [...t.nodes.filter((n) => n.name !== m.name), m] }
    : { ...t, sentinels: [...t.sentinels.filter((s) => s.name !== m.name), m] };
}

export function withoutMember(t: BoundTopology, name: string): BoundTopology {
  return {
    ...t,
    nodes: t.nodes.filter((n) => n.name !== name),
    sentinels: t.sentinels.filter((s) => s.name !== name),
  };
}

/** Bounded: the supervisor recorded `primary` (it must not take the old one's exit for a death). */
export async function supervisorKnows(dir: StateDir, primary: string): Promise<void> {
  await waitFor(
    () => Promise.resolve(dir.readState().primary === primary ? true : { pending: 'not yet' }),
    { timeoutMs: 10_000, intervalMs: 50, what: `the supervisor to record ${primary} as primary` },
  );
}

/** Records `t` as what runs and has the supervisor follow it (SIGUSR1: up.ts). */
function record(p: PreparedState, t: BoundTopology): void {
  const pid = runningSupervisor(p.dir);
  if (pid === undefined)
    throw new RedisHaError('NOT_RUNNING', `no supervisor runs from ${p.dir.root}`, {
      hint: 'start it with `redis-ha up --detach`, then run `redis-ha apply` again',
    });
  p.dir.writeTopology(t);
  process.kill(pid, 'SIGUSR1');
}

const on = <T>(p: PreparedState, t: BoundTopology, fn: (v: ClusterView) => Promise<T>) =>
  withView({ ...p, t }, fn);

/** Bounded: the member's process answers (started) or stops answering (stopped). */
async function answers(p: PreparedState, t: BoundTopology, m: Member<number>, want: boolean) {
  const auth =
    m.kind === 'node' ? credentials(t, p.secrets, 'admin') : sentinelCredentials(t, p.secrets);
  await waitFor(
    async () => {
      const up = await withClient(m, { ...auth, timeoutMs: 500 }, (c) => c.ping()).then(
        () => true,
        () => false,
      );
      return up === want ? true : { pending: `${m.name} ${want ? 'not started' : 'still runs'}` };
    },
    {
      timeoutMs: t.supervisor.stopTimeoutMs + 10_000,
      intervalMs: 100,
      what: `${m.name} to be ${want ? 'started' : 'stopped'} by the supervisor`,
    },
  );
}

/** A replica: started by the supervisor at priority 0, promotable only once synced. */
export async function addNode(c: MembershipCtx, cur: BoundTopology, n: NodeSpec<number>) {
  const next = withMember(cur, n);
  record(c.p, next);
  await answers(c.p, next, n, true);
  c.progress(`${n.name} started as a replica (priority 0 until synced)`);
  await on(c.p, next, async (view) => {
    const t = view.topology;
    await waitFor(
      async () => {
        await view.look();
        return view.synced(n.name) ? true : { pending: `${n.name} is not synced yet` };
      },
      {
        timeoutMs: t.replication.syncTimeoutMs + 10_000,
        intervalMs: 200,
        what: `${n.name}'s sync`,
      },
    );
    if (n.priority > 0) await promotable(view, n);
  });
  c.log(`apply: added replica ${n.name}, synced and promotable`, { added: n.name });
  return next;
}

export async function addSentinel(c: MembershipCtx, cur: BoundTopology, s: SentinelSpec<number>) {
  const next = withMember(cur, s);
  const since = Date.now();
  record(c.p, next);
  await answers(c.p, next, s, true);
  await on(c.p, next, (view) =>
    waitFor(() => countedBy(view, s, since), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: `the other sentinels to count ${s.name}`,
    }),
  );
  c.log(`apply: added sentinel ${s.name}, counted by every other sentinel`, { added: s.name });
  return next;
}

/**
 * Every sentinel forgets `gone` (SENTINEL RESET), one at a time: the next only once the last
 * knows every replica and sentinel again, so a quorum keeps knowing a promotable replica.
 * Sampled every 100 ms meanwhile.
 */
async function resetEach(view: ClusterView, gone: readonly { host: string; port: number }[]) {
  const t = view.topology;
  let samples = 0;
  let withoutQuorum = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const next = Date.now() + SAMPLE_MS;
      samples++;
      if ((await knowingPromotable(view)) < t.quorum) withoutQuorum++;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  try {
    for (const s of t.sentinels) {
      await waitFor(() => settled(view), {
        timeoutMs: t.sentinel.failoverTimeoutMs * 2 + 10_000,
        intervalMs: 200,
        what: 'no failover under way and every sentinel naming the primary, before SENTINEL RESET',
      });
      await view.links.once(s, (r) => r.call('SENTINEL', 'RESET', t.masterName));
      await waitFor(() => relearned(view, s, gone), {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: `${s.name} to know the topology again after SENTINEL RESET`,
      });
    }
  } finally {
    sampling = false;
    await sampler;
  }
  return { samples, withoutQuorum };
}

/** A replica or a sentinel; the primary is switched over first (loss-free). */
export async function removeMember(
  c: MembershipCtx,
  cur: BoundTopology,
  m: Member<number>,
): Promise<{ next: BoundTopology; change: MemberChange }> {
  let switchedOver: string | undefined;
  if (m.kind === 'node')
    switchedOver = await on(c.p, cur, async (view) => {
      await view.look();
      if (view.primary?.name !== m.name) return undefined;
      c.progress(`${m.name} is the primary: switching over first`);
      const r = await runSwitchover(view, c.progress, {});
      await supervisorKnows(c.p.dir, r.to);
      return r.to;
    });
  const next = withoutMember(cur, m.name);
  record(c.p, next);
  await answers(c.p, next, m, false);
  c.progress(`${m.name} stopped; SENTINEL RESET on each sentinel, one at a time`);
  const q = await on(c.p, next, (view) => resetEach(view, [m]));
  const step = `removed ${m.kind === 'node' ? 'replica' : 'sentinel'} ${m.name}`;
  c.log(
    `apply: ${step}; ${q.withoutQuorum} of ${q.samples} samples without a quorum knowing a promotable replica`,
    {
      removed: m.name,
      ...q,
    },
  );
  return { next, change: { step, member: m.name, ...q, switchedOver } };
}

/** Addresses left known to the sentinels by a removal cut short: forgotten the same way. */
export async function forget(c: MembershipCtx, cur: BoundTopology, who: readonly string[]) {
  const gone = who.map((a) => {
    const i = a.lastIndexOf(':');
    return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
  });
  const q = await on(c.p, cur, (view) => resetEach(view, gone));
  const step = `forgot ${who.join(', ')}`;
  c.log(
    `apply: ${step}; ${q.withoutQuorum} of ${q.samples} samples without a quorum knowing a promotable replica`,
    {
      forgot: who,
      ...q,
    },
  );
  return { step, member: who.join(', '), ...q };
}
