import { setTimeout as sleep } from 'node:timers/promises';
import { RedisHaError } from '../errors/errors.js';
import { withClient, type Auth } from '../redis/client.js';
import type { StateDir } from '../state/state-dir.js';
import { runSwitchover } from '../ops/switchover.js';
import { hostOf, type BoundTopology } from '../topology/model.js';
import type { ClusterView } from '../view/view.js';
import { waitHealthy } from '../view/wait-healthy.js';
import { failedOverFrom, LAB_FAULTS, pidOf, type Fault } from './faults.js';
import { injectLabFault, VipSampler } from './lab-faults.js';
import type { LabState } from '../lab/lab.js';
import { traceOf, type TimedEvent } from './trace.js';
import { drillClient, Writer, type Ack, type ClientKind } from './writer.js';

type LabFault = Parameters<typeof injectLabFault>[0];
import { maxGap, nonPrimaryAcks, summarize, type DrillRun, type DrillSummary } from './verdict.js';

export interface DrillOptions {
  fault: Fault;
  runs: number;
  client: ClientKind;
  progress: (line: string) => void;
  /** Record each run's write rate and the sentinels' phases (for --report). */
  trace?: boolean;
  /** A lab (vip mode): faults act on its hosts, the floating address is sampled. */
  lab?: LabState | undefined;
}

export interface DrillReport {
  fault: Fault;
  client: ClientKind;
  runs: DrillRun[];
  summary: DrillSummary;
}

/**
 * Runs the fault N times against a running topology and measures what clients saw, with this
 * process's view (started, admin: it reads every key back).
 */
export async function runDrill(
  view: ClusterView,
  dir: StateDir,
  o: DrillOptions,
): Promise<DrillReport> {
  const t = view.topology;
  const secrets = view.links.secrets.current;
  const admin = view.links.nodeAuth();
  if (o.client === 'endpoint' && t.endpoint.mode !== 'proxy' && !o.lab) {
    throw new RedisHaError(
      'USAGE',
      'the drill writes through the endpoint, but endpoint.mode is not "proxy"',
      { hint: 'set `endpoint: { mode: proxy }`, or use `--client sentinel`' },
    );
  }
  if (LAB_FAULTS.includes(o.fault) && !o.lab)
    throw new RedisHaError('USAGE', `fault "${o.fault}" needs hosts of their own`, {
      hint: 'bring them up with `redis-ha lab up` and run the drill against the lab topology',
    });
  const timeline: { at: number; primary: string | undefined }[] = [];
  const offPrimary = view.on('primary', ({ to }) =>
    timeline.push({ at: performance.now(), primary: to?.name }),
  );
  timeline.push({ at: performance.now(), primary: view.primary?.name });
  const events: TimedEvent[] = [];
  const offEvents = view.on('sentinel', (m) => {
    // Only the master's +sdown starts a failover (not a replica's or a sentinel's).
    if (o.trace && (m.channel !== '+sdown' || m.payload.startsWith('master ')))
      events.push({ at: performance.now(), channel: m.channel });
  });
  // Writes go on during a drill: replica offsets are compared with a tolerance.
  const healthy = (timeoutMs: number): Promise<unknown> =>
    waitHealthy(view, timeoutMs, () => undefined, { strictOffsets: false });
  const runs: DrillRun[] = [];
  try {
    for (let run = 1; run <= o.runs; run++) {
      await healthy(60_000);
      const from = view.primary?.name ?? '?';
      const client = drillClient(t, secrets, o.client);
      const writer = new Writer(
        client,
        `drill:${Date.now()}:${run}`,
        undefined,
        t.endpoint.mode === 'vip'
          ? { ms: 500, renew: () => drillClient(t, secrets, o.client) }
          : undefined,
      );
      writer.start();
      let t0 = NaN;
      const sampler =
        o.lab && t.endpoint.address
          ? new VipSampler(
              o.lab,
              [...new Set(t.nodes.map((n) => hostOf(t, n).name))],
              t.endpoint.address,
            )
          : undefined;
      sampler?.start(
        () => (Number.isNaN(t0) ? undefined : t0),
        hostOf(t, t.nodes.find((n) => n.name === from) ?? t.nodes[0]!).name,
      );
      await sleep(500);
      t0 = performance.now();
      if (o.lab && (o.fault === 'kill' || LAB_FAULTS.includes(o.fault)))
        await injectLabFault(o.fault as LabFault, t, o.lab, from, view, o.progress);
      else await inject(o.fault, view, dir, from, o.progress);
      let healthyAfterMs = NaN;
      let stoppedAt = NaN;
      try {
        await healthy(60_000);
        healthyAfterMs = performance.now() - t0;
      } finally {
        await sleep(500);
        await writer.stop();
        stoppedAt = performance.now();
        writer.client.disconnect();
      }
      const vip = await sampler?.stop();
      const to = view.primary?.name ?? '?';
      const after = writer.acks.find((a) => a.issuedAt >= t0);
      const lost = await countLost(t, admin, to, writer, writer.acks);
      // Every run starts from the same dataset (a growing one would slow later resyncs).
      await removeKeys(t, admin, to, writer).catch(() => undefined);
      const r: DrillRun = {
        run,
        fault: o.fault,
        from,
        to,
        blackoutMs: after ? after.ackedAt - t0 : null,
        acked: writer.acks.length,
        maxGapMs: maxGap(writer.acks, t0, stoppedAt),
        lost,
        nonPrimaryAcks: nonPrimaryAcks(t, writer.acks, timeline),
        errors: writer.errors,
        errorKinds: writer.errorKinds,
        healthyAfterMs,
        trace: o.trace
          ? traceOf(writer.acks, t0, stoppedAt, events, timeline, after ? after.ackedAt - t0 : null)
          : undefined,
        vip,
      };
      runs.push(r);
      o.progress(
        `run ${run}/${o.runs} ${o.fault}: ${from} -> ${to}, blackout ${r.blackoutMs === null ? 'n/a' : `${Math.round(r.blackoutMs)}ms`}, max write gap ${Math.round(r.maxGapMs)}ms, acked ${r.acked}, lost ${r.lost}, acked by a non-primary ${r.nonPrimaryAcks}, healthy after ${Math.round(healthyAfterMs)}ms${kinds(writer.errorKinds)}${vip ? `; VIP: released ${fmt(vip.releasedAfterMs)}, taken ${fmt(vip.takenAfterMs)}, ${vip.overlapping}/${vip.samples} samples with two holders` : ''}`,
      );
    }
  } finally {
    offPrimary();
    offEvents();
  }
  return { fault: o.fault, client: o.client, runs, summary: summarize(runs) };
}

/** The most frequent kinds of failed writes, for the progress line. */
const kinds = (k: Record<string, number>): string => {
  const top = Object.entries(k)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  return top.length ? `, failed writes: ${top.map(([n, c]) => `${n} ${c}`).join(', ')}` : '';
};

const fmt = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(x)}ms`);

async function inject(
  fault: Fault,
  view: ClusterView,
  dir: StateDir,
  primary: string,
  progress: (l: string) => void,
): Promise<void> {
  const t = view.topology;
  const replica = t.nodes.find((n) => n.name !== primary)?.name ?? '';
  switch (fault) {
    case 'kill':
      process.kill(pidOf(dir, primary), 'SIGKILL');
      return;
    case 'kill-replica':
      process.kill(pidOf(dir, replica), 'SIGKILL');
      return;
    case 'kill-sentinel':
      process.kill(pidOf(dir, t.sentinels[0]?.name ?? ''), 'SIGKILL');
      return;
    case 'switchover':
      await runSwitchover(view, () => undefined);
      return;
    case 'freeze': {
      const pid = pidOf(dir, primary);
      process.kill(pid, 'SIGSTOP');
      try {
        // Resume it once another node is the primary (it must then come back as a replica).
        await failedOverFrom(t, view, primary);
      } finally {
        process.kill(pid, 'SIGCONT');
        progress(`resumed ${primary}`);
      }
      return;
    }
  }
}

/** Acknowledged writes missing or wrong on the primary after convergence. */
async function countLost(
  t: BoundTopology,
  admin: Auth,
  primary: string,
  w: Writer,
  acks: readonly Ack[],
): Promise<number> {
  const node = t.nodes.find((n) => n.name === primary);
  if (!node) return acks.length;
  return withClient(node, { ...admin, timeoutMs: 5000 }, async (c) => {
    let lost = 0;
    for (let i = 0; i < acks.length; i += 1000) {
      const batch = acks.slice(i, i + 1000);
      const vals = await c.mget(batch.map((a) => w.key(a.seq)));
      batch.forEach((a, j) => vals[j] !== String(a.seq) && lost++);
    }
    return lost;
  });
}

/** Unlinks every key the writer may have written (run after the verification). */
async function removeKeys(
  t: BoundTopology,
  admin: Auth,
  primary: string,
  w: Writer,
): Promise<void> {
  const node = t.nodes.find((n) => n.name === primary);
  if (!node) return;
  await withClient(node, { ...admin, timeoutMs: 5000 }, async (c) => {
    for (let i = 0; i < w.issued; i += 1000) {
      const keys = Array.from({ length: Math.min(1000, w.issued - i) }, (_, k) => w.key(i + k));
      await c.unlink(...keys);
    }
  });
}
