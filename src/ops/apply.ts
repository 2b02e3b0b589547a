import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { appendEvent, makeEvent } from '../events/events.js';
import { redisErrorText, withClient } from '../redis/client.js';
import { credentials, sentinelCredentials, type Credentials } from '../state/credentials.js';
import { runningSupervisor } from '../state/lock.js';
import type { PreparedState } from '../state/prepare.js';
import { designatedPrimary, type BoundTopology, type Member } from '../topology/model.js';
import { describeStep, planApply, type ApplyPlan, type ApplyStep } from './apply-plan.js';
import { addNode, addSentinel, forget, removeMember, type MemberChange } from './membership.js';
import { roll, type RollingReport } from './rolling.js';
import { addr, strangers } from './sentinel-waits.js';
import { withView } from '../view/with-view.js';

/** What `apply` compares: the running topology (recorded by `up`) and the file's. */
export interface ApplyInput {
  running: BoundTopology;
  desired: PreparedState;
  plan: ApplyPlan;
}

export interface ApplyReport {
  plan: string[];
  applied: boolean;
  /** Members each step was done on. */
  done: { step: string; members: string[] }[];
  /** Settings of redis-ha's own processes, recorded for the next `up`. */
  nextUp: string[];
  /** Members added and removed, each waited for. */
  members: MemberChange[];
  /** The nodes restarted one at a time for settings read only at start. */
  rolling?: RollingReport | undefined;
}

/** The steps executed so far; the others are refused with a hint, before anything changes. */
const EXECUTED = new Set<ApplyStep['kind']>([
  'add-replica',
  'add-sentinel',
  'config-set-live',
  'sentinel-set',
  'next-up',
  'remove-replica',
  'remove-sentinel',
  'forget',
  'rolling-restart',
]);

/**
 * Plans from what runs now: the topology `up` recorded (each member step of an earlier `apply`
 * recorded as taken), the primary the sentinels last confirmed, and what the sentinels still
 * know that is no member (a removal cut short before every sentinel forgot it).
 */
export async function planFromState(desired: PreparedState): Promise<ApplyInput> {
  const { dir, state } = desired;
  const running = dir.readTopology();
  if (!running || runningSupervisor(dir) === undefined)
    throw new RedisHaError('NOT_RUNNING', `nothing runs from ${dir.root}: no supervisor`, {
      hint: 'start it with `redis-ha up` (apply changes a running topology)',
    });
  const primary = state.primary ?? designatedPrimary(running).name;
  const wanted = new Set([...desired.t.nodes, ...desired.t.sentinels].map(addr));
  const known = await withView({ ...desired, t: running }, strangers, { follow: false });
  // A member the file adds back is started again, not forgotten.
  const plan = planApply(running, desired.t, {
    primary,
    strangers: known.filter((a) => !wanted.has(a)),
    unfinishedRoll: dir.readRoll()?.reasons,
  });
  return { running, desired, plan };
}

async function onEach(
  members: readonly Member<number>[],
  auth: Credentials,
  fn: (c: Redis) => Promise<void>,
): Promise<string[]> {
  const failed: string[] = [];
  for (const m of members) {
    try {
      await withClient(m, { ...auth, timeoutMs: 3000 }, fn);
    } catch (e) {
      failed.push(`${m.name}: ${redisErrorText(e)}`);
    }
  }
  if (failed.length > 0)
    throw new RedisHaError('UNHEALTHY', `apply stopped: ${failed.join('; ')}`, {
      hint: 'bring every member back (`redis-ha status`), then run `redis-ha apply` again: it plans from what runs',
    });
  return members.map((m) => m.name);
}

function refuseUnsupported(plan: ApplyPlan): void {
  const refused = plan.steps.filter((s) => !EXECUTED.has(s.kind));
  if (refused.length === 0) return;
  throw new RedisHaError(
    'USAGE',
    `apply cannot do these steps yet:\n${refused.map((s) => `  ${describeStep(s)}`).join('\n')}`,
    {
      hint: 'for these: `redis-ha down`, edit, `redis-ha up` (apply adds and removes members, changes settings live or by a rolling restart)',
    },
  );
}

type Log = (message: string, data: Record<string, unknown>) => void;
type Done = ApplyReport['done'];

/** CONFIG SET on every node, then CONFIG REWRITE; SENTINEL SET on every sentinel. */
async function setLive(plan: ApplyPlan, t: BoundTopology, p: PreparedState, log: Log, done: Done) {
  const live = plan.steps.flatMap((s) => (s.kind === 'config-set-live' ? [s] : []));
  if (live.length > 0) {
    const set = live.flatMap((s) => [s.param, s.to]);
    const members = await onEach(t.nodes, credentials(t, p.secrets, 'admin'), async (c) => {
      await c.call('CONFIG', 'SET', ...set);
      await c.call('CONFIG', 'REWRITE');
    });
    const step = `CONFIG SET ${live.map((s) => `${s.param}=${s.to}`).join(' ')} + CONFIG REWRITE`;
    log(`apply: ${step} on ${members.join(', ')}`, { step, members });
    done.push({ step, members });
  }
  const sen = plan.steps.flatMap((s) => (s.kind === 'sentinel-set' ? [s] : []));
  if (sen.length > 0) {
    const set = sen.flatMap((s) => [s.param, s.to]);
    const members = await onEach(t.sentinels, sentinelCredentials(t, p.secrets), (c) =>
      c.call('SENTINEL', 'SET', t.masterName, ...set).then(() => undefined),
    );
    const step = `SENTINEL SET ${sen.map((s) => `${s.param}=${s.to}`).join(' ')}`;
    log(`apply: ${step} on ${members.join(', ')}`, { step, members });
    done.push({ step, members });
  }
}

/** The file's settings on the members running now (a member still to be removed keeps its own). */
function settingsOn(cur: BoundTopology, desired: BoundTopology): BoundTopology {
  const spec = <M extends { name: string }>(l: readonly M[], m: M): M =>
    l.find((x) => x.name === m.name) ?? m;
  return {
    ...desired,
    nodes: cur.nodes.map((n) => spec(desired.nodes, n)),
    sentinels: cur.sentinels.map((s) => spec(desired.sentinels, s)),
  };
}

/** Nodes restarted one at a time from the file's settings (replicas, switchover, old primary). */
async function rollNodes(
  plan: ApplyPlan,
  cur: BoundTopology,
  c: { p: PreparedState; progress: (l: string) => void; log: Log },
) {
  const step = plan.steps.find((s) => s.kind === 'rolling-restart');
  if (!step) return undefined;
  c.log(`apply: ${describeStep(step)}`, { step: step.reasons });
  const t = settingsOn(cur, c.p.t);
  const r = await withView({ ...c.p, t: cur }, (view) =>
    roll({ ...c.p, t }, view, c.progress, { sentinels: false, reasons: step.reasons }),
  );
  c.log(`apply: rolled ${r.restarted.map((x) => x.name).join(', ')}`, { restarted: r.restarted });
  return r;
}

/**
 * Executes a plan: members added (each waited for: a replica synced and promotable, a sentinel
 * counted by the others), live Redis settings (CONFIG SET, then CONFIG REWRITE, on every node),
 * Sentinel settings (SENTINEL SET on every sentinel), a rolling restart of the nodes for
 * settings read only at start (rolling.ts), members removed (membership.ts), then
 * records the file's topology as the running one. Each member step is recorded as it is taken
 * and each command is idempotent: a run cut short is completed by running `apply` again.
 */
export async function executePlan(
  input: ApplyInput,
  progress: (line: string) => void,
): Promise<ApplyReport> {
  const { running, desired, plan } = input;
  refuseUnsupported(plan);
  const log: Log = (message, data) => {
    progress(message);
    appendEvent(desired.dir.eventsFile, makeEvent('decision', message, { data: { apply: data } }));
  };
  const c = { p: desired, progress, log };
  const done: Done = [];
  const members: MemberChange[] = [];
  let cur = running;
  for (const s of plan.steps)
    if (s.kind === 'add-replica' || s.kind === 'add-sentinel') {
      const m = s.kind === 'add-replica' ? s.node : s.sentinel;
      cur =
        s.kind === 'add-replica'
          ? await addNode(c, cur, s.node)
          : await addSentinel(c, cur, s.sentinel);
      members.push({ step: describeStep(s), member: m.name });
    }
  await setLive(plan, cur, desired, log, done);
  const rolling = await rollNodes(plan, cur, c);
  for (const s of plan.steps)
    if (s.kind === 'remove-replica' || s.kind === 'remove-sentinel') {
      const r = await removeMember(c, cur, s.kind === 'remove-replica' ? s.node : s.sentinel);
      cur = r.next;
      members.push(r.change);
    }
  for (const s of plan.steps) if (s.kind === 'forget') members.push(await forget(c, cur, s.who));
  const nextUp = plan.steps.flatMap((s) => (s.kind === 'next-up' ? [s.key] : []));
  desired.dir.writeTopology(desired.t);
  log('apply: the running topology is now the one in the file', { recorded: desired.t.source });
  return { plan: plan.steps.map(describeStep), applied: true, done, nextUp, members, rolling };
}
