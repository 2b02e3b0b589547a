import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { num, parseInfo } from '../redis/info.js';
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
  /** Another client to write with (benchmarks: HAProxy, clients with their default options). */
  connect?: (() => Redis) | undefined;
  /** How the report names that client. */
  label?: string | undefined;
}

export interface DrillReport {
  fault: Fault;
  client: string;
  runs: DrillRun[];
  summary: DrillSummary;
}

/**
 * The slowest full resync we plan for: 28 MB/s was measured for a 4 GB diskless resync on this
 * 2-core machine under load (docs/benchmarks.md); a bound 7 times slower still ends.
 */
const RESYNC_FLOOR_BYTES_PER_S = 4 * 2 ** 20;

/** How long a drill waits for the topology to be healthy again: a full resync of the dataset. */
export function healthyBoundMs(syncTimeoutMs: number, datasetBytes: number): number {
  const resync = Math.ceil((datasetBytes / RESYNC_FLOOR_BYTES_PER_S) * 1000);
  return Math.max(60_000, syncTimeoutMs + 30_000, resync + 30_000);
}

/** The primary's used_memory now (0 if it does not answer): the size of the next full resync. */
async function primaryUsedMemory(view: ClusterView): Promise<number> {
  const p = view.primary;
  if (!p) return 0;
  const info = await view.links
    .get(p)
    .info('memory')
    .catch(() => '');
  return num(parseInfo(info), 'used_memory');
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
  let bytes = Math.max(o.datasetBytes ?? 0, await primaryUsedMemory(view));
  const ctx: RunContext = {
    view,
    dir,
    o,
    timeline: [{ at: performance.now(), primary: view.primary?.name }],
    events: [] as TimedEvent[],
    // Writes go on during a drill: replica offsets are compared with a tolerance; a large
    // dataset's full resync follows each fault.
    healthy: () =>
      waitHealthy(view, healthyBoundMs(t.replication.syncTimeoutMs, bytes), () => undefined, {
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
    bytes = Math.max(bytes, await primaryUsedMemory(view));
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
  return { fault: o.fault, client: o.label ?? o.client, runs, summary: summarize(runs) };
}
