import { createInterface } from 'node:readline/promises';
import { RedisHaError } from '../../errors/errors.js';
import { describePlan, describeStep } from '../../ops/apply-plan.js';
import { executePlan, planFromState } from '../../ops/apply.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export interface ApplyOptions extends TopologyOptions {
  dryRun?: boolean;
  yes?: boolean;
}

async function confirmed(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question('apply this plan? [y/N] ')).trim());
  } finally {
    rl.close();
  }
}

/** `apply`: the file's topology vs the running one, the plan, then (confirmed) its execution. */
export async function applyCommand(o: ApplyOptions, ctx: CommandContext): Promise<CommandResult> {
  const input = await planFromState(await startedTopology(o));
  const { plan } = input;
  const text = describePlan(plan);
  const steps = plan.steps.map(describeStep);
  if (o.dryRun || plan.steps.length === 0)
    return { text, json: { plan: steps, applied: false, empty: plan.empty } };
  if (!o.yes) {
    if (!process.stdin.isTTY)
      throw new RedisHaError('USAGE', 'apply needs a confirmation: stdin is not a terminal', {
        hint: 'review it with `redis-ha apply --dry-run`, then run `redis-ha apply --yes`',
      });
    ctx.progress(text);
    if (!(await confirmed())) return { text: 'not applied', json: { plan: steps, applied: false } };
  } else ctx.progress(text);
  const r = await executePlan(input, (line) => ctx.progress(line));
  const next =
    r.nextUp.length > 0
      ? `\nrecorded for the next \`redis-ha up\` (the running supervisor keeps its own): ${r.nextUp.join(', ')}`
      : '';
  return { text: `applied: ${r.done.length} step(s)${next}`, json: r };
}
