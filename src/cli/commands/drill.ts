import { RedisHaError } from '../../errors/errors.js';
import path from 'node:path';
import { runDrill } from '../../drill/drill.js';
import { writeDrillReport } from '../../drill/report.js';
import { FAULTS, type Fault } from '../../drill/faults.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';

export interface DrillCliOptions extends TopologyOptions {
  fault: string;
  runs: string;
  client: string;
  /** Write an HTML report and a PNG of its charts into this directory. */
  report?: string;
}

const ms = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x)}ms`);

export async function drillCommand(
  o: DrillCliOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  if (!(FAULTS as readonly string[]).includes(o.fault))
    throw new RedisHaError('USAGE', `unknown fault "${o.fault}"`, {
      hint: `faults: ${FAULTS.join(', ')}`,
    });
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100)
    throw new RedisHaError('USAGE', `--runs must be a whole number from 1 to 100, got "${o.runs}"`);
  if (o.client !== 'endpoint' && o.client !== 'sentinel')
    throw new RedisHaError('USAGE', `--client must be "endpoint" or "sentinel"`);
  const { t: bound, dir, secrets } = await startedTopology(o);
  const r = await runDrill(bound, secrets, dir, {
    fault: o.fault as Fault,
    runs,
    client: o.client,
    progress: (l) => ctx.progress(l),
    trace: o.report !== undefined,
  });
  const files = o.report ? await writeDrillReport(path.resolve(o.report), r) : undefined;
  const s = r.summary;
  const text = [
    `drill ${r.fault} x${r.runs.length} via ${r.client}:`,
    `  blackout      min ${ms(s.blackoutMs?.min)}  median ${ms(s.blackoutMs?.median)}  max ${ms(s.blackoutMs?.max)}`,
    `  write gap     min ${ms(s.maxGapMs?.min)}  median ${ms(s.maxGapMs?.median)}  max ${ms(s.maxGapMs?.max)}`,
    `  healthy after min ${ms(s.healthyAfterMs?.min)}  median ${ms(s.healthyAfterMs?.median)}  max ${ms(s.healthyAfterMs?.max)}`,
    `  acknowledged writes lost: ${s.lost}; acknowledged by a non-primary: ${s.nonPrimaryAcks}`,
    ...(files ? [`report: ${files.html}`, `chart:  ${files.png}`] : []),
  ].join('\n');
  return {
    text,
    json: files ? { ...r, report: files } : r,
    exitCode: s.lost > 0 || s.nonPrimaryAcks > 0 ? 1 : 0,
  };
}
