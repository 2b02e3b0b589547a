import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { appendEvent, makeEvent } from '../events/events.js';
import { redisErrorText, withClient } from '../redis/client.js';
import { credentials, sentinelCredentials, type Credentials } from '../state/credentials.js';
import { runningSupervisor } from '../state/lock.js';
import type { PreparedState } from '../state/prepare.js';
import { designatedPrimary, type BoundTopology, type Member } from '../topology/model.js';
import { describeStep, planApply, type ApplyPlan, type ApplyStep } from './apply-plan.js';

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
}

/** The steps executed so far; the others are refused with a hint, before anything changes. */
const EXECUTED = new Set<ApplyStep['kind']>(['config-set-live', 'sentinel-set', 'next-up']);

/** Plans from what runs now: the topology `up` recorded, the primary the sentinels last confirmed. */
export function planFromState(desired: PreparedState): ApplyInput {
  const { dir, state } = desired;
  const running = dir.readTopology();
  if (!running || runningSupervisor(dir) === undefined)
    throw new RedisHaError('NOT_RUNNING', `nothing runs from ${dir.root}: no supervisor`, {
      hint: 'start it with `redis-ha up` (apply changes a running topology)',
    });
  const primary = state.primary ?? designatedPrimary(running).name;
  return { running, desired, plan: planApply(running, desired.t, { primary }) };
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
      hint: 'so far apply changes live Redis settings and Sentinel settings only; for members, TLS, auth or bind: `redis-ha down`, edit, `redis-ha up`',
    },
  );
}

/**
 * Executes a plan: live Redis settings (CONFIG SET, then CONFIG REWRITE, on every node), Sentinel
 * settings (SENTINEL SET on every sentinel), then records the file's topology as the running one.
 * Each command is idempotent: a run cut short is completed by running `apply` again.
 */
export async function executePlan(
  input: ApplyInput,
  progress: (line: string) => void,
): Promise<ApplyReport> {
  const { running, desired, plan } = input;
  refuseUnsupported(plan);
  const { dir, secrets } = desired;
  const log = (message: string, data: Record<string, unknown>): void => {
    progress(message);
    appendEvent(dir.eventsFile, makeEvent('decision', message, { data: { apply: data } }));
  };
  const done: ApplyReport['done'] = [];
  const live = plan.steps.flatMap((s) => (s.kind === 'config-set-live' ? [s] : []));
  if (live.length > 0) {
    const set = live.flatMap((s) => [s.param, s.to]);
    const members = await onEach(
      running.nodes,
      credentials(running, secrets, 'admin'),
      async (c) => {
        await c.call('CONFIG', 'SET', ...set);
        await c.call('CONFIG', 'REWRITE');
      },
    );
    const step = `CONFIG SET ${live.map((s) => `${s.param}=${s.to}`).join(' ')} + CONFIG REWRITE`;
    log(`apply: ${step} on ${members.join(', ')}`, { step, members });
    done.push({ step, members });
  }
  const sen = plan.steps.flatMap((s) => (s.kind === 'sentinel-set' ? [s] : []));
  if (sen.length > 0) {
    const set = sen.flatMap((s) => [s.param, s.to]);
    const members = await onEach(running.sentinels, sentinelCredentials(running, secrets), (c) =>
      c.call('SENTINEL', 'SET', running.masterName, ...set).then(() => undefined),
    );
    const step = `SENTINEL SET ${sen.map((s) => `${s.param}=${s.to}`).join(' ')}`;
    log(`apply: ${step} on ${members.join(', ')}`, { step, members });
    done.push({ step, members });
  }
  const nextUp = plan.steps.flatMap((s) => (s.kind === 'next-up' ? [s.key] : []));
  dir.writeTopology(desired.t);
  log('apply: the running topology is now the one in the file', { recorded: desired.t.source });
  return {
    plan: plan.steps.map(describeStep),
    applied: true,
    done,
    nextUp,
  };
}
