import { setTimeout as sleep } from 'node:timers/promises';
import { runSwitchover } from '../ops/switchover.js';
import { withClient, type Auth } from '../redis/client.js';
import type { StateDir } from '../state/state-dir.js';
import { hostOf, type BoundTopology } from '../topology/model.js';
import { waitFor } from '../util/wait.js';
import type { ClusterView } from '../view/view.js';
import type { DrillOptions } from './drill.js';
import { failedOverFrom, LAB_FAULTS, pidOf, type Fault } from './faults.js';
import { injectLabFault, VipSampler, type VipSamples } from './lab-faults.js';
import { SingleCopyClock } from './single-copy.js';
import { traceOf, type TimedEvent } from './trace.js';
import { lostBy, maxGap, nonPrimaryAcks, type DrillRun } from './verdict.js';
import { drillClient, Writer, type Ack } from './writer.js';

type LabFault = Parameters<typeof injectLabFault>[0];

export interface RunContext {
  view: ClusterView;
  dir: StateDir;
  o: DrillOptions;
  /** The confirmed primary over time (performance.now()). */
  timeline: { at: number; primary: string | undefined }[];
  events: TimedEvent[];
  healthy: () => Promise<unknown>;
}

/**
 * One run: a writer issuing numbered writes, the fault, the wait until healthy again and until
 * the writer has had a write issued after the fault acknowledged (bounded: a slow client path
 * then still gets a blackout figure), then the verdict read back from the final primary.
 */
export async function runOnce(ctx: RunContext, run: number): Promise<DrillRun> {
  const { view, o } = ctx;
  const t = view.topology;
  const secrets = view.links.secrets.current;
  await ctx.healthy();
  const from = view.primary?.name ?? '?';
  const renew =
    o.connect ?? ((): ReturnType<typeof drillClient> => drillClient(t, secrets, o.client));
  const stall = t.endpoint.mode === 'vip' ? { ms: 500, renew } : undefined;
  const writer = new Writer(renew(), `drill:${Date.now()}:${run}`, undefined, stall);
  writer.start();
  let t0 = NaN;
  const hosts = [...new Set(t.nodes.map((n) => hostOf(t, n).name))];
  const sampler =
    o.lab && t.endpoint.address ? new VipSampler(o.lab, hosts, t.endpoint.address) : undefined;
  const fromHost = hostOf(t, t.nodes.find((n) => n.name === from) ?? t.nodes[0]!).name;
  sampler?.start(() => (Number.isNaN(t0) ? undefined : t0), fromHost);
  const clock = new SingleCopyClock(view);
  await sleep(500);
  clock.start();
  t0 = performance.now();
  let isolated: number | null | undefined;
  let healthyAfterMs = NaN;
  let stoppedAt = NaN;
  let singleCopyMs: number | null = null;
  let vip: VipSamples | undefined;
  // A failed injection (a switchover refused) must not leave the writer and samplers running.
  try {
    isolated = await inject(ctx, from);
    await ctx.healthy();
    healthyAfterMs = performance.now() - t0;
    await waitFor(() => Promise.resolve(writer.acks.some((a) => a.issuedAt >= t0) || undefined), {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'a write issued after the fault to be acknowledged',
    }).catch(() => undefined);
  } finally {
    await sleep(500);
    await writer.stop();
    stoppedAt = performance.now();
    writer.client.disconnect();
    singleCopyMs = clock.stop();
    vip = await sampler?.stop();
  }
  const to = view.primary?.name ?? '?';
  const after = writer.acks.find((a) => a.issuedAt >= t0);
  const admin = view.links.nodeAuth();
  const lostAcks = await findLost(t, admin, to, writer, writer.acks);
  // Every run starts from the same dataset (a growing one would slow later resyncs).
  await removeKeys(t, admin, to, writer).catch(() => undefined);
  const blackoutMs = after ? after.ackedAt - t0 : null;
  const r: DrillRun = {
    run,
    fault: o.fault,
    from,
    to,
    blackoutMs,
    acked: writer.acks.length,
    maxGapMs: maxGap(writer.acks, t0, stoppedAt),
    lost: lostAcks.length,
    lostBy: lostAcks.length ? lostBy(t, lostAcks, t0) : undefined,
    nonPrimaryAcks: nonPrimaryAcks(t, writer.acks, ctx.timeline),
    errors: writer.errors,
    errorKinds: writer.errorKinds,
    healthyAfterMs,
    singleCopyMs,
    isolatedRefusedAfterMs: isolated,
    trace: o.trace
      ? traceOf(writer.acks, t0, stoppedAt, ctx.events, ctx.timeline, blackoutMs)
      : undefined,
    vip,
  };
  o.progress(describeRun(r, o.runs));
  return r;
}

const fmt = (x: number | null | undefined): string =>
  x === null || x === undefined ? 'n/a' : `${Math.round(x)}ms`;

function describeRun(r: DrillRun, runs: number): string {
  const top = Object.entries(r.errorKinds ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  const failed = top.length
    ? `; failed writes: ${top.map(([n, c]) => `"${n}" x${c}`).join(', ')}`
    : '';
  const vip = r.vip
    ? `; VIP: released ${fmt(r.vip.releasedAfterMs)}, taken ${fmt(r.vip.takenAfterMs)}, ${r.vip.overlapping}/${r.vip.samples} samples with two holders`
    : '';
  const lostBy = (r.lostBy ?? [])
    .map((g) => `${g.count} acknowledged by ${g.node} at +${g.firstMs}..${g.lastMs}ms`)
    .join(', ');
  const lost = lostBy ? ` (${lostBy})` : '';
  const alone = r.singleCopyMs === null ? '' : `, single copy ${fmt(r.singleCopyMs)}`;
  const cut =
    r.isolatedRefusedAfterMs === undefined
      ? ''
      : `, isolated primary refused writes after ${fmt(r.isolatedRefusedAfterMs)}`;
  return `run ${r.run}/${runs} ${r.fault}: ${r.from} -> ${r.to}, blackout ${fmt(r.blackoutMs)}, max write gap ${fmt(r.maxGapMs)}, acked ${r.acked}, lost ${r.lost}${lost}, acked by a non-primary ${r.nonPrimaryAcks}, healthy after ${fmt(r.healthyAfterMs)}${alone}${cut}${failed}${vip}`;
}

/** Injects the fault; a lab partition returns when its isolated primary refused writes. */
async function inject(ctx: RunContext, primary: string): Promise<number | null | undefined> {
  const { view, o, dir } = ctx;
  const t = view.topology;
  if (o.lab && (o.fault === 'kill' || LAB_FAULTS.includes(o.fault)))
    return injectLabFault(o.fault as LabFault, t, o.lab, primary, view, o.progress, o.forMs);
  await injectLocal(o.fault, view, dir, primary, o.progress, o.forMs);
  return undefined;
}

async function injectLocal(
  fault: Fault,
  view: ClusterView,
  dir: StateDir,
  primary: string,
  progress: (l: string) => void,
  forMs: number | undefined,
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
        // A fixed time (a freeze that lasts), else until another node is the primary.
        if (forMs !== undefined) await sleep(forMs);
        else await failedOverFrom(t, view, primary);
      } finally {
        process.kill(pid, 'SIGCONT');
        progress(`resumed ${primary}`);
      }
      return;
    }
  }
}

/** Acknowledged writes missing or wrong on the primary after convergence. */
async function findLost(
  t: BoundTopology,
  admin: Auth,
  primary: string,
  w: Writer,
  acks: readonly Ack[],
): Promise<Ack[]> {
  const node = t.nodes.find((n) => n.name === primary);
  if (!node) return [...acks];
  return withClient(node, { ...admin, timeoutMs: 5000 }, async (c) => {
    const lost: Ack[] = [];
    for (let i = 0; i < acks.length; i += 1000) {
      const batch = acks.slice(i, i + 1000);
      const vals = await c.mget(batch.map((a) => w.key(a.seq)));
      batch.forEach((a, j) => vals[j] !== String(a.seq) && lost.push(a));
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
