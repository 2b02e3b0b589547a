import { RedisHaError } from '../../errors/errors.js';
import { parseDuration, parseSize } from '../../util/units.js';
import path from 'node:path';
import { runDrill } from '../../drill/drill.js';
import type { ClientKind } from '../../drill/writer.js';
import { writeDrillReport } from '../../drill/report.js';
import { FAULTS, LAB_FAULTS, type Fault } from '../../drill/faults.js';
import { readLab, rerunInClientHost, type LabState } from '../../lab/lab.js';
import { stats, type DrillRun } from '../../drill/verdict.js';
import type { VipSamples } from '../../drill/lab-faults.js';
import { labTopology, labTopologyFile } from './lab.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';
import { startedTopology } from '../context.js';
import { withView } from '../../view/with-view.js';

export interface DrillCliOptions extends TopologyOptions {
  fault: string;
  runs: string;
  client: string;
  /** Write an HTML report and a PNG of its charts into this directory. */
  report?: string;
  /** How long freeze / partition / host-freeze last (default: until a failover). */
  for?: string;
  /** A dataset loaded before the runs (e.g. 1gb), removed after. */
  dataset?: string;
  /** Against the lab (`redis-ha lab up`): clients in its client host, faults on its hosts. */
  lab?: boolean;
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
  const forMs = o.for === undefined ? undefined : parseDuration(o.for);
  if (o.for !== undefined && (forMs === undefined || forMs <= 0))
    throw new RedisHaError('USAGE', `--for must be a duration such as 12s, got "${o.for}"`);
  if (forMs !== undefined && !['freeze', 'partition', 'host-freeze'].includes(o.fault))
    throw new RedisHaError('USAGE', `--for applies to freeze, partition and host-freeze`);
  const datasetBytes = o.dataset === undefined ? undefined : parseSize(o.dataset);
  if (o.dataset !== undefined && !datasetBytes)
    throw new RedisHaError('USAGE', `--dataset must be a size such as 1gb, got "${o.dataset}"`);
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100)
    throw new RedisHaError('USAGE', `--runs must be a whole number from 1 to 100, got "${o.runs}"`);
  if (o.client !== 'endpoint' && o.client !== 'sentinel')
    throw new RedisHaError('USAGE', `--client must be "endpoint" or "sentinel"`);
  let lab: LabState | undefined;
  let topo: TopologyOptions = o;
  if (o.lab) {
    const lt = labTopology(o);
    lab = readLab(lt);
    if (!lab)
      throw new RedisHaError('NOT_RUNNING', 'no lab is up for this topology', {
        hint: 'bring it up with `redis-ha lab up`',
      });
    // The clients write from the lab's client host: run the drill there.
    if (process.env.REDIS_HA_LAB_CLIENT !== lab.id)
      return { exitCode: await rerunInClientHost(lab), printed: true };
    topo = { file: labTopologyFile(lt) };
  } else if (LAB_FAULTS.includes(o.fault as Fault))
    throw new RedisHaError('USAGE', `fault "${o.fault}" needs hosts of their own`, {
      hint: 'bring them up with `redis-ha lab up`, then `redis-ha drill --lab --fault ...`',
    });
  const p = await startedTopology(topo);
  const r = await withView(
    p,
    (view) =>
      runDrill(view, p.dir, {
        lab,
        fault: o.fault as Fault,
        runs,
        client: o.client as ClientKind,
        progress: (l) => ctx.progress(l),
        trace: o.report !== undefined,
        forMs,
        datasetBytes,
      }),
    { pollMs: 100 },
  );
  const files = o.report ? await writeDrillReport(path.resolve(o.report), r) : undefined;
  const s = r.summary;
  const text = [
    `drill ${r.fault} x${r.runs.length} via ${r.client}:`,
    `  blackout      min ${ms(s.blackoutMs?.min)}  median ${ms(s.blackoutMs?.median)}  max ${ms(s.blackoutMs?.max)}`,
    `  write gap     min ${ms(s.maxGapMs?.min)}  median ${ms(s.maxGapMs?.median)}  max ${ms(s.maxGapMs?.max)}`,
    `  healthy after min ${ms(s.healthyAfterMs?.min)}  median ${ms(s.healthyAfterMs?.median)}  max ${ms(s.healthyAfterMs?.max)}`,
    `  single copy   ${s.singleCopyMs ? `min ${ms(s.singleCopyMs.min)}  median ${ms(s.singleCopyMs.median)}  max ${ms(s.singleCopyMs.max)} (writes acknowledged by the primary alone)` : 'never (every acknowledged write was on two nodes)'}`,
    `  acknowledged writes lost: ${s.lost}; acknowledged by a non-primary: ${s.nonPrimaryAcks}`,
    ...isolatedLines(r.runs),
    ...vipLines(r.runs),
    ...(files ? [`report: ${files.html}`, `chart:  ${files.png}`] : []),
  ].join('\n');
  return {
    text,
    json: files ? { ...r, report: files } : r,
    exitCode: s.lost > 0 || s.nonPrimaryAcks > 0 ? 1 : 0,
  };
}

function isolatedLines(runs: readonly DrillRun[]): string[] {
  const v = runs.map((r) => r.isolatedRefusedAfterMs).filter((x) => x !== undefined);
  if (v.length === 0) return [];
  const never = v.filter((x) => x === null).length;
  const st = stats(v.filter((x): x is number => x !== null));
  return [
    `  isolated old primary refused writes after: median ${ms(st?.median)}, max ${ms(st?.max)}${never ? `; ${never} run(s) it never did` : ''}`,
  ];
}

function vipLines(runs: readonly DrillRun[]): string[] {
  const v = runs.map((r) => r.vip).filter((x): x is VipSamples => x !== undefined);
  if (v.length === 0) return [];
  const med = (xs: (number | null)[]): string =>
    ms(stats(xs.filter((x): x is number => x !== null))?.median);
  return [
    `  VIP released  median ${med(v.map((x) => x.releasedAfterMs))}; taken elsewhere median ${med(v.map((x) => x.takenAfterMs))}`,
    `  VIP samples with two holders: ${v.reduce((n, x) => n + x.overlapping, 0)} of ${v.reduce((n, x) => n + x.samples, 0)} (every 50 ms on every data host)`,
  ];
}
