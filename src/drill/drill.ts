import { RedisHaError } from '../errors/errors.js';
import type { LabState } from '../lab/lab.js';
import type { StateDir } from '../state/state-dir.js';
import type { ClusterView } from '../view/view.js';
import { waitHealthy } from '../view/wait-healthy.js';
import { checkDatasetFits, loadDataset, removeDataset } from './dataset.js';
import { LAB_FAULTS, type Fault } from './faults.js';
import { runOnce, type RunContext } from './run-once.js';
import type { TimedEvent } from './trace.js';
import { summarize, type DrillRun, type DrillSummary } from './verdict.js';
import { drillClient, type ClientKind } from './writer.js';

export interface DrillOptions {
  fault: Fault;
  runs: number;
  client: ClientKind;
  progress: (line: string) => void;
  /** Record each run's write rate and the sentinels' phases (for --report). */
  trace?: boolean;
  /** A lab (vip mode): faults act on its hosts, the floating address is sampled. */
  lab?: LabState | undefined;
  /** freeze, partition, host-freeze: how long the fault lasts (default: until a failover). */
  forMs?: number | undefined;
  /** Bytes loaded (through the drill's client path) before the runs, removed after. */
  datasetBytes?: number | undefined;
}

export interface DrillReport {
  fault: Fault;
  client: ClientKind;
  runs: DrillRun[];
  summary: DrillSummary;
}

function checkOptions(view: ClusterView, o: DrillOptions): void {
  const t = view.topology;
  if (o.client === 'endpoint' && t.endpoint.mode !== 'proxy' && !o.lab)
    throw new RedisHaError(
      'USAGE',
      'the drill writes through the endpoint, but endpoint.mode is not "proxy"',
      { hint: 'set `endpoint: { mode: proxy }`, or use `--client sentinel`' },
    );
  if (LAB_FAULTS.includes(o.fault) && !o.lab)
    throw new RedisHaError('USAGE', `fault "${o.fault}" needs hosts of their own`, {
      hint: 'bring them up with `redis-ha lab up` and run the drill against the lab topology',
    });
  if (o.datasetBytes) checkDatasetFits(t, o.datasetBytes);
}

/**
 * Runs the fault N times against a running topology and measures what clients saw, with this
 * process's view (started, admin: it reads every key back). With a dataset, it is loaded first
 * through the same client path and removed after the runs.
 */
export async function runDrill(
  view: ClusterView,
  dir: StateDir,
  o: DrillOptions,
): Promise<DrillReport> {
  checkOptions(view, o);
  const t = view.topology;
  const ctx: RunContext = {
    view,
    dir,
    o,
    timeline: [{ at: performance.now(), primary: view.primary?.name }],
    events: [] as TimedEvent[],
    // Writes go on during a drill: replica offsets are compared with a tolerance; a large
    // dataset's full resync follows each fault.
    healthy: () =>
      waitHealthy(view, Math.max(60_000, t.replication.syncTimeoutMs + 30_000), () => undefined, {
        strictOffsets: false,
      }),
  };
  const offPrimary = view.on('primary', ({ to }) =>
    ctx.timeline.push({ at: performance.now(), primary: to?.name }),
  );
  const offEvents = view.on('sentinel', (m) => {
    // Only the master's +sdown starts a failover (not a replica's or a sentinel's).
    if (o.trace && (m.channel !== '+sdown' || m.payload.startsWith('master ')))
      ctx.events.push({ at: performance.now(), channel: m.channel });
  });
  const loader = o.datasetBytes ? drillClient(t, view.links.secrets.current, o.client) : undefined;
  const runs: DrillRun[] = [];
  try {
    await ctx.healthy();
    const data =
      loader && o.datasetBytes && (await loadDataset(loader, o.datasetBytes, o.progress));
    try {
      for (let run = 1; run <= o.runs; run++) runs.push(await runOnce(ctx, run));
    } finally {
      if (loader && data) await removeDataset(loader, data).catch(() => undefined);
    }
  } finally {
    loader?.disconnect();
    offPrimary();
    offEvents();
  }
  return { fault: o.fault, client: o.client, runs, summary: summarize(runs) };
}
