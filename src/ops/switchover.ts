import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisHaError, errorMessage } from '../errors/errors.js';
import { redisErrorText } from '../redis/client.js';
import { num, pairsList, parseInfo } from '../redis/info.js';
import type { BoundTopology, NodeSpec } from '../topology/model.js';
import { formatDuration } from '../util/units.js';
import { waitFor } from '../util/wait.js';
import { analyzeHealth } from '../view/health.js';
import type { Links } from '../view/links.js';
import { majorityNeeded } from '../topology/majority.js';
import type { ClusterView } from '../view/view.js';
import { isEligible } from './failover.js';
import { leaderWatch } from './switchover-leader.js';

export interface SwitchoverResult {
  from: string;
  to: string;
  /** How long writes were paused on the old primary. */
  pausedMs: number;
  durationMs: number;
}

export function describeSwitchover(r: SwitchoverResult): string {
  return `switchover done: ${r.from} -> ${r.to} in ${formatDuration(r.durationMs)}; writes paused ${formatDuration(r.pausedMs)}`;
}

export interface SwitchoverOptions {
  to?: string | undefined;
  /** Bound on each step; the pause itself is capped by Redis at pauseMs as a last resort. */
  stepTimeoutMs?: number;
  /** How long an unhealthy topology may take to become healthy before the switchover refuses. */
  healthWaitMs?: number;
}

/**
 * A planned primary change that loses no acknowledged write: pause writes on the old primary,
 * wait for the target's offset to match, fail over through Sentinel, make the old primary a
 * replica of the new one, then release the pause (late writers there get READONLY, not silent
 * loss). Every step is bounded; before the promotion a failure rolls back (unpause, priorities).
 */
export async function runSwitchover(
  view: ClusterView,
  progress: (line: string) => void,
  o: SwitchoverOptions = {},
): Promise<SwitchoverResult> {
  const t = view.topology;
  const step = o.stepTimeoutMs ?? 5000;
  const started = Date.now();
  const { from, target, others } = await chooseTarget(view, progress, o);
  // The steps use connections of their own: the view resets its shared one to a node when a
  // look at it times out (a loaded machine), which would fail a command under way on it.
  const pausedMs = await view.links.once(
    from,
    (p) =>
      view.links.once(
        target,
        async (q) => {
          await Promise.all([p.ping(), q.ping()]);
          const restore = await pinTarget(view.links, others, target, t, step, progress);
          try {
            return await pauseAndPromote(view, { p, q, from, target, step }, progress);
          } finally {
            await restore();
          }
        },
        step,
      ),
    step,
  );
  progress(`writes released after ${pausedMs}ms`);
  await sentinelsName(view, target, step);
  progress(`the sentinels name ${target.name}`);
  return { from: from.name, to: target.name, pausedMs, durationMs: Date.now() - started };
}

/** Waits out a passing blip (bounded), then picks the node to promote. */
async function chooseTarget(
  view: ClusterView,
  progress: (line: string) => void,
  o: SwitchoverOptions,
): Promise<{ from: NodeSpec<number>; target: NodeSpec<number>; others: NodeSpec<number>[] }> {
  const t = view.topology;
  // A planned change waits out a passing blip (a sentinel slow to answer under load), bounded.
  const healthDeadline = Date.now() + (o.healthWaitMs ?? 10_000);
  let h = analyzeHealth(t, await view.look());
  let said = false;
  while ((!h.healthy || !h.primary) && Date.now() < healthDeadline) {
    if (!said) progress(`waiting for a healthy topology: ${h.problems[0] ?? 'no primary'}`);
    said = true;
    await sleep(200);
    h = analyzeHealth(t, await view.look());
  }
  if (!h.healthy || !h.primary)
    throw new RedisHaError(
      'UNHEALTHY',
      `switchover needs a healthy topology: ${h.problems[0] ?? 'no primary'}`,
      { hint: 'see `redis-ha status`' },
    );
  const from = t.nodes.find((n) => n.name === h.primary)!;
  const replicas = t.nodes.filter((n) => n.name !== from.name);
  const target = o.to
    ? replicas.find((n) => n.name === o.to)
    : [...replicas].filter((n) => n.priority > 0).sort((a, b) => a.priority - b.priority)[0];
  if (!target) {
    throw new RedisHaError(
      'USAGE',
      o.to ? `"${o.to}" is not a replica of ${from.name}` : 'no replica can be promoted',
      { hint: `replicas: ${replicas.map((r) => r.name).join(', ') || 'none'}` },
    );
  }
  return { from, target, others: replicas.filter((n) => n.name !== target.name) };
}

interface Step {
  /** Connections of the switchover's own to the old primary and to the target. */
  p: Redis;
  q: Redis;
  from: NodeSpec<number>;
  target: NodeSpec<number>;
  step: number;
}

/** The request, the pause timed on the leader, the promotion and its proof. Returns the pause. */
async function pauseAndPromote(
  view: ClusterView,
  { p, q, from, target, step }: Step,
  progress: (line: string) => void,
): Promise<number> {
  const t = view.topology;
  let pausedAt = 0;
  let promoted = false;
  const leader = await leaderWatch(view, target, step);
  try {
    await leader.request();
    promoted = true;
    progress(`failover requested from ${leader.name}; writes flow until it selects ${target.name}`);
    // The leader sends REPLICAOF NO ONE one sentinel tick (>= 50 ms) after announcing it:
    // pause there, not before its first two ticks, so writes stop for one tick only.
    await leader.selected.catch((e: unknown) => {
      // An abort ends it here; a lost event stream must not let the promotion run unpaused.
      if (e instanceof RedisHaError && e.code === 'FAILOVER_FAILED') throw e;
      progress(`${errorMessage(e)}: pausing now`);
    });
    await p.call('CLIENT', 'PAUSE', String(t.sentinel.failoverTimeoutMs + 3 * step), 'WRITE');
    pausedAt = Date.now();
    const offset = num(parseInfo(await p.info('replication')), 'master_repl_offset');
    const caughtUp = await waitFor(
      async () => {
        const info = parseInfo(await q.info('replication'));
        if (info.role === 'master') return 'promoted-first';
        const r = num(info, 'slave_repl_offset');
        return r >= offset
          ? 'in-time'
          : { pending: `${target.name} is ${offset - r} bytes behind` };
      },
      { timeoutMs: step, intervalMs: 1, what: `${target.name} to catch up with ${from.name}` },
    ).catch(() => 'unknown');
    progress(
      `writes paused on ${from.name} at offset ${offset}; ${target.name} caught up: ${caughtUp}`,
    );
    await promotedAndFollowed(view, from, target);
    // Proof, not hope: the offset at which the target stopped following must cover the pause.
    const at = await again(() => view.links.once(target, (c) => c.info('replication'))).then(
      (i) => num(parseInfo(i), 'second_repl_offset') - 1,
    );
    if (at < offset)
      throw new RedisHaError(
        'FAILOVER_FAILED',
        `${target.name} was promoted at offset ${at}, before ${offset}: up to ${offset - at} bytes of acknowledged writes were not replicated`,
        { hint: 'the machine stalled for a whole sentinel tick; see `redis-ha logs`' },
      );
  } catch (e) {
    if (!promoted) progress(`rolling back: ${errorMessage(e)}`);
    throw e instanceof RedisHaError
      ? e
      : new RedisHaError('FAILOVER_FAILED', `switchover failed: ${redisErrorText(e)}`, {
          cause: e,
        });
  } finally {
    leader.close();
    if (pausedAt) await unpause(view, from);
  }
  return Date.now() - pausedAt;
}

/** Waits for the target to say master, then makes the old primary follow it. */
async function promotedAndFollowed(
  view: ClusterView,
  from: NodeSpec<number>,
  target: NodeSpec<number>,
): Promise<void> {
  // Sentinel kills client connections of the node it promotes: ask on a fresh one each time.
  await waitFor(
    async () => {
      const role = await view.links
        .once(target, (c) => c.call('ROLE'), 1000)
        .then((r) => (r as unknown[])[0], redisErrorText);
      return role === 'master' ? true : { pending: `${target.name} still says ${String(role)}` };
    },
    {
      timeoutMs: view.topology.sentinel.failoverTimeoutMs,
      intervalMs: 2,
      what: `${target.name} to be promoted`,
    },
  );
  await again(() =>
    view.links.once(from, (c) => c.call('REPLICAOF', target.host, String(target.port)), 1000),
  );
}

/**
 * Idempotent steps, retried on fresh connections: the nodes close connections right after a
 * promotion (Sentinel's CLIENT KILL, a demotion), seen as "Connection is closed".
 */
async function again<T>(
  fn: () => Promise<T>,
  tries = 5,
  delayMs = (i: number): number => 20 * i,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await sleep(delayMs(i));
    }
  }
}

/** Until a majority of the sentinels name the target. */
async function sentinelsName(
  view: ClusterView,
  target: NodeSpec<number>,
  step: number,
): Promise<void> {
  const t = view.topology;
  await waitFor(
    async () => {
      const views = await Promise.all(
        t.sentinels.map((s) =>
          view.links
            .get(s)
            .call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.masterName)
            .catch(() => null),
        ),
      );
      const agree = views.filter(
        (v) => Array.isArray(v) && Number(v[1]) === target.port && v[0] === target.host,
      ).length;
      return agree >= majorityNeeded(t.sentinels.length)
        ? true
        : { pending: `${agree}/${t.sentinels.length} sentinels name ${target.name}` };
    },
    {
      timeoutMs: t.sentinel.failoverTimeoutMs + step,
      intervalMs: 20,
      what: `the sentinels to name ${target.name}`,
    },
  );
}

/**
 * With more than one replica, Sentinel picks by its own rules: hold the others at priority 0
 * until every sentinel sees only the target as eligible. Returns the undo.
 */
async function pinTarget(
  pool: Links,
  others: NodeSpec<number>[],
  target: NodeSpec<number>,
  t: BoundTopology,
  timeoutMs: number,
  progress: (l: string) => void,
): Promise<() => Promise<void>> {
  const undo = async (): Promise<void> => {
    await Promise.all(
      others.map((n) =>
        pool
          .once(n, (c) => c.config('SET', 'replica-priority', String(n.priority)))
          .catch(() => undefined),
      ),
    );
  };
  if (others.length === 0) return undo;
  progress(`holding ${others.map((n) => n.name).join(', ')} out of the election`);
  await Promise.all(
    others.map((n) => pool.once(n, (c) => c.config('SET', 'replica-priority', '0'))),
  );
  try {
    await waitFor(
      async () => {
        for (const s of t.sentinels) {
          const reps = await pool
            .get(s)
            .call('SENTINEL', 'REPLICAS', t.masterName)
            .then(pairsList, () => []);
          const eligible = reps.filter(isEligible).map((r) => `${r.ip}:${r.port}`);
          if (eligible.length !== 1 || eligible[0] !== `${target.host}:${target.port}`)
            return { pending: `${s.name} still sees ${eligible.join(', ') || 'none'} as eligible` };
        }
        return true;
      },
      {
        timeoutMs: timeoutMs + 11_000,
        intervalMs: 200,
        what: 'the sentinels to see only the target as eligible',
      },
    );
  } catch (e) {
    await undo();
    throw e;
  }
  return undo;
}

/** Never leave writes paused: retry on fresh connections (Sentinel may kill ours). */
async function unpause(view: ClusterView, n: NodeSpec<number>): Promise<void> {
  const call = (): Promise<unknown> => view.links.once(n, (c) => c.call('CLIENT', 'UNPAUSE'), 1000);
  await again(call, 20, () => 50).catch(() => undefined);
}
