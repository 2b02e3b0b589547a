import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findRedis } from '../backends/redis-bin.js';
import { RedisHaError } from '../errors/errors.js';
import { appendEvent, makeEvent } from '../events/events.js';
import { parseInfo, parseVersion } from '../redis/info.js';
import { runningSupervisor } from '../state/lock.js';
import type { PreparedState } from '../state/prepare.js';
import type { RollRecord } from '../state/state-dir.js';
import type { BoundTopology, Member } from '../topology/model.js';
import { isOurRedis, readPid, terminate } from '../util/pids.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import { describeStep, planApply } from './apply-plan.js';
import {
  describeRollingStep,
  formatVersion,
  planRolling,
  type RollingStep,
  type Version,
} from './rolling-plan.js';
import { countedBy, promotable, quorumProblem } from './sentinel-waits.js';
import { runSwitchover, type SwitchoverResult } from './switchover.js';

const run = promisify(execFile);

export interface RollingReport {
  steps: string[];
  /** Each member's process before and after. */
  restarted: { name: string; from: number; to: number }[];
  switchover?: SwitchoverResult | undefined;
  versions: { server: string; sentinel: string };
}

/** What a binary reports (`redis-server --version`: `v=7.0.15`). */
export async function binaryVersion(path: string): Promise<Version> {
  const out = await run(path, ['--version'], { timeout: 5000 }).then(
    (r) => r.stdout,
    (e: unknown) => {
      throw new RedisHaError('REDIS_MISSING', `cannot run ${path} --version: ${String(e)}`, {
        hint: 'check redis.server / redis.sentinel in the topology file',
      });
    },
  );
  const v = parseVersion(out);
  if (!v)
    throw new RedisHaError('REDIS_MISSING', `${path} --version did not report a version`, {
      hint: 'expected output such as "Redis server v=7.0.15"',
    });
  return v;
}

interface Ctx {
  view: ClusterView;
  p: PreparedState;
  progress: (line: string) => void;
  restarted: RollingReport['restarted'];
}

/** Version and PID as the running process reports them (INFO server). */
async function processOf(
  view: ClusterView,
  m: Member<number>,
): Promise<{ v: Version; pid: number }> {
  const info = parseInfo(await view.links.once(m, (c) => c.info('server'), 2000));
  const v = parseVersion(info.redis_version ?? '');
  const pid = Number(info.process_id);
  if (!v || !Number.isInteger(pid))
    throw new RedisHaError('UNHEALTHY', `${m.name} did not report its version and PID`);
  return { v, pid };
}

/** The file may change the binaries only: anything else is `apply`'s. */
function runningTopology(p: PreparedState): BoundTopology {
  const running = p.dir.readTopology();
  if (!running || runningSupervisor(p.dir) === undefined)
    throw new RedisHaError('NOT_RUNNING', `nothing runs from ${p.dir.root}: no supervisor`, {
      hint: 'start it with `redis-ha up --detach` (restart --rolling restarts what `up` supervises)',
    });
  const plan = planApply(running, p.t, {});
  if (plan.steps.length > 0)
    throw new RedisHaError(
      'USAGE',
      `the file changes more than the Redis binaries:\n${plan.steps.map((s) => `  ${describeStep(s)}`).join('\n')}`,
      { hint: 'apply those with `redis-ha apply` first, then `redis-ha restart --rolling`' },
    );
  return running;
}

/** Plans from what runs: versions reported by each process, the binaries the file names. */
async function plan(
  view: ClusterView,
  p: PreparedState,
  o: RollOptions,
): Promise<{ steps: RollingStep[]; versions: RollingReport['versions'] }> {
  const t = p.t;
  const bins = await findRedis();
  const target = {
    server: await binaryVersion(t.redis?.server ?? bins.server),
    sentinel: await binaryVersion(t.redis?.sentinel ?? bins.sentinel),
  };
  await view.look();
  const primary = view.primary;
  if (!primary)
    throw new RedisHaError('UNHEALTHY', 'no confirmed primary: not restarting anything', {
      hint: 'see `redis-ha status`',
    });
  const node = async (
    n: (typeof t.nodes)[number],
  ): Promise<{ name: string; version: Version; priority: number }> => ({
    name: n.name,
    version: (await processOf(view, n)).v,
    priority: n.priority,
  });
  const steps = planRolling(
    {
      primary: await node(primary),
      replicas: await Promise.all(t.nodes.filter((n) => n.name !== primary.name).map(node)),
      sentinels: await Promise.all(
        t.sentinels.map(async (s) => ({ name: s.name, version: (await processOf(view, s)).v })),
      ),
      target,
    },
    o,
  );
  return {
    steps,
    versions: { server: formatVersion(target.server), sentinel: formatVersion(target.sentinel) },
  };
}

/** Stops the member's process by the PID `up` recorded for it; the supervisor starts it again. */
async function stopSupervised(c: Ctx, m: Member<number>): Promise<number> {
  const { pid } = await processOf(c.view, m);
  const recorded = readPid(c.p.dir.childPidFile(m.name));
  if (recorded !== pid || !isOurRedis(pid, c.p.dir.root))
    throw new RedisHaError(
      'PROCESS_FAILED',
      `${m.name} runs as PID ${pid}, not the process \`up\` recorded (${recorded ?? 'none'})`,
      { hint: 'restart --rolling restarts members supervised by `redis-ha up` on this machine' },
    );
  await terminate(pid, c.p.t.supervisor.stopTimeoutMs);
  return pid;
}

/** Bounded: the supervisor's new process answers (a new PID) and `ready` holds. */
async function restarted(
  c: Ctx,
  m: Member<number>,
  old: number,
  ready: () => Promise<true | { pending: string }>,
  timeoutMs: number,
): Promise<void> {
  const pid = await waitFor(
    async () => {
      const now = await processOf(c.view, m).catch(() => undefined);
      return now && now.pid !== old ? now.pid : { pending: `${m.name} is not back yet` };
    },
    { timeoutMs, intervalMs: 100, what: `${m.name} to be started again by the supervisor` },
  );
  await waitFor(ready, { timeoutMs, intervalMs: 100, what: `${m.name} to be back in service` });
  c.restarted.push({ name: m.name, from: old, to: pid });
  c.progress(`${m.name} back (pid ${old} -> ${pid})`);
}

async function restartNode(c: Ctx, name: string): Promise<void> {
  const n = c.view.topology.nodes.find((x) => x.name === name)!;
  const old = await stopSupervised(c, n);
  const t = c.view.topology;
  await restarted(
    c,
    n,
    old,
    async () => {
      await c.view.look();
      return c.view.synced(name) ? true : { pending: `${name} is not synced yet` };
    },
    t.replication.syncTimeoutMs + t.supervisor.restartBackoffMaxMs,
  );
}

async function restartSentinel(c: Ctx, name: string): Promise<void> {
  const t = c.view.topology;
  const s = t.sentinels.find((x) => x.name === name)!;
  const before = await quorumProblem(c.view);
  if (before)
    throw new RedisHaError('UNHEALTHY', `not restarting ${name}: no quorum (${before.pending})`, {
      hint: 'see `redis-ha status`',
    });
  const since = Date.now();
  const old = await stopSupervised(c, s);
  await restarted(
    c,
    s,
    old,
    () => countedBy(c.view, s, since),
    15_000 + t.supervisor.restartBackoffMaxMs,
  );
}

/** Bounded: the supervisor recorded the new primary (it must not take the old one's exit for a death). */
async function supervisorKnows(c: Ctx, primary: string): Promise<void> {
  await waitFor(
    () => Promise.resolve(c.p.dir.readState().primary === primary ? true : { pending: 'not yet' }),
    { timeoutMs: 10_000, intervalMs: 50, what: `the supervisor to record ${primary} as primary` },
  );
}

async function execute(c: Ctx, s: RollingStep): Promise<SwitchoverResult | undefined> {
  switch (s.kind) {
    case 'restart-replica':
    case 'restart-old-primary':
      await restartNode(c, s.name);
      return undefined;
    case 'switchover': {
      await promotable(
        c.view,
        c.view.topology.nodes.find((n) => n.name === s.to)!,
      );
      const r = await runSwitchover(c.view, c.progress, { to: s.to });
      await supervisorKnows(c, s.to);
      return r;
    }
    case 'restart-sentinel':
      await restartSentinel(c, s.name);
      return undefined;
  }
}

export interface RollOptions {
  /** Restart the sentinels too (false: `apply` rolls nodes for settings only they read). */
  sentinels?: boolean;
  /** Why, recorded for a rerun to finish the roll. */
  reasons?: string[];
}

const stepMember = (s: RollingStep): string => (s.kind === 'switchover' ? s.from : s.name);

/**
 * The roll's record: each member's PID when the roll began (kept from a roll cut short), and
 * the steps still to take: a member whose PID changed since was restarted; a switchover is
 * left only while its old primary still runs the process it had.
 */
async function resume(
  view: ClusterView,
  p: PreparedState,
  all: RollingStep[],
  reasons: string[],
): Promise<{ record: RollRecord; steps: RollingStep[] }> {
  const prev = p.dir.readRoll();
  const record: RollRecord = prev ?? { at: new Date().toISOString(), reasons, pids: {} };
  const now: Record<string, number> = {};
  for (const name of new Set(all.map(stepMember))) {
    const m = [...view.topology.nodes, ...view.topology.sentinels].find((x) => x.name === name)!;
    now[name] = (await processOf(view, m)).pid;
    record.pids[name] ??= now[name];
  }
  const steps = all.filter((s) => now[stepMember(s)] === record.pids[stepMember(s)]);
  return { record, steps };
}

/**
 * The rolling path itself: records `p.t` (the supervisor restarts each member from it: its
 * binaries, its rendered settings) and the members' PIDs (a rerun after a kill finishes the
 * roll: rolling.json), then each step in order, each waited for.
 */
export async function roll(
  p: PreparedState,
  view: ClusterView,
  progress: (line: string) => void,
  o: RollOptions = {},
): Promise<RollingReport> {
  const planned = await plan(view, p, o);
  const { versions } = planned;
  const { record, steps } = await resume(
    view,
    p,
    planned.steps,
    o.reasons ?? ['restart --rolling'],
  );
  const resumed = steps.length < planned.steps.length ? ' (finishing one cut short)' : '';
  progress(
    `rolling restart${resumed} (redis-server ${versions.server}, redis-sentinel ${versions.sentinel}):`,
  );
  for (const s of steps) progress(`  ${describeRollingStep(s)}`);
  p.dir.writeTopology(p.t);
  p.dir.writeRoll(record);
  const c: Ctx = { view, p, progress, restarted: [] };
  let switchover: SwitchoverResult | undefined;
  for (const s of steps) {
    const line = describeRollingStep(s);
    progress(line);
    appendEvent(p.dir.eventsFile, makeEvent('decision', `restart --rolling: ${line}`));
    switchover = (await execute(c, s)) ?? switchover;
  }
  p.dir.writeRoll(undefined);
  return { steps: steps.map(describeRollingStep), restarted: c.restarted, switchover, versions };
}

/**
 * `restart --rolling`: every member restarted by its supervisor, one at a time, each waited for
 * (replicas until synced, sentinels until the others count them), the primary only once a
 * loss-free switchover made it a replica. With new binaries in the file (redis.server /
 * redis.sentinel), an upgrade: versions checked before anything changes (rolling-plan.ts).
 */
export function runRolling(
  p: PreparedState,
  view: ClusterView,
  progress: (line: string) => void,
): Promise<RollingReport> {
  runningTopology(p);
  return roll(p, view, progress);
}
