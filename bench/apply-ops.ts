/**
 * `apply` under a writer through the endpoint (a default ioredis client): add a replica, add a
 * sentinel, remove the sentinel, remove the replica, a setting read only at start (the nodes'
 * bind: a rolling restart with a switchover) and back, `restart --rolling`, and an idle window
 * as long as the step before it (the writer's own gaps: the baseline), BENCH_RUNS rounds; per
 * step the longest write gap, failed writes, and for removals the 100 ms quorum samples without
 * a quorum knowing a promotable replica. Then BENCH_KILLS runs where the primary is killed (kill -9) at a random
 * moment of an `apply`: did it fail over, and did `apply` run again complete? Every
 * acknowledged write is read back at the end. Writes bench/results/apply-ops-DATE.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { maxGap } from '../src/drill/verdict.js';
import { Writer } from '../src/drill/writer.js';
import { freePort } from '../src/state/ports.js';
import { CLI, cli } from '../test/helpers/cluster.js';
import { seedCluster, stats, type BenchCluster } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KILLS = Number(process.env.BENCH_KILLS ?? 20);

interface Step {
  step: string;
  ms: number;
  gapMs: number;
  failed: number;
  samples?: number;
  withoutQuorum?: number;
}

async function apply(c: BenchCluster, w: Writer, step: string, idleMs = 0): Promise<Step> {
  const t0 = performance.now();
  const failedBefore = w.errors;
  const args =
    step === 'restart --rolling' ? ['restart', '--rolling'] : ['apply', '--yes', '--json'];
  const r = idleMs > 0 ? { code: 0, stdout: '{}', stderr: '' } : await cli(args, c.dir, 180_000);
  if (idleMs > 0) await sleep(idleMs);
  const end = performance.now();
  if (r.code !== 0) throw new Error(`${step}: ${args.join(' ')} failed: ${r.stderr}`);
  const rep = (args[0] === 'apply' ? JSON.parse(r.stdout) : {}) as {
    members?: { samples?: number; withoutQuorum?: number }[];
  };
  const q = rep.members?.find((m) => m.samples !== undefined);
  return {
    step,
    ms: Math.round(end - t0),
    gapMs: Math.round(maxGap(w.acks, t0, end)),
    failed: w.errors - failedBefore,
    ...(q ? { samples: q.samples, withoutQuorum: q.withoutQuorum } : {}),
  };
}

function files(c: BenchCluster, p3: number, p4: number) {
  const file = path.join(c.dir, 'redis-ha.yaml');
  const base = readFileSync(file, 'utf8');
  const withReplica = base.replace(
    'sentinels:\n',
    `  redis03: { role: replica, port: ${p3} }\nsentinels:\n`,
  );
  const withBoth = withReplica.replace(
    /(sentinels:\n(?: {2}\S+: .*\n)+)/,
    `$1  s4: { port: ${p4} }\n`,
  );
  // A setting read only at start: the nodes also listen on 127.0.0.2 (a rolling restart).
  const rebound = base.replace(
    /( {2}redis0[12]: \{[^}\n]*?) ?\}/g,
    '$1, bind: [127.0.0.1, 127.0.0.2] }',
  );
  if (rebound === base) throw new Error('could not add bind to the nodes of the seed file');
  return { file, base, withReplica, withBoth, rebound };
}

const recorded = (c: BenchCluster): string =>
  (
    JSON.parse(readFileSync(path.join(c.dir, '.redis-ha/state.json'), 'utf8')) as {
      primary?: string;
    }
  ).primary ?? 'redis01'; // the seed's designated primary until a failover is recorded

/** `apply --yes` with the primary killed `afterMs` into it; then `apply` again until it completes. */
async function killedApply(c: BenchCluster, afterMs: number) {
  // The supervisor's record (the file may no longer list the primary: apply switches it over).
  const before = recorded(c);
  const p = spawn(process.execPath, [CLI, 'apply', '--yes'], { cwd: c.dir, stdio: 'ignore' });
  const done = new Promise<number>((r) => p.on('close', (code) => r(code ?? 1)));
  await sleep(afterMs);
  // The recorded primary may be a member this very apply removes (its PID file gone).
  const pid = ((): number | undefined => {
    try {
      return c.pidOf(before);
    } catch {
      return undefined;
    }
  })();
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  const first = await done;
  let failedOver = false;
  for (let i = 0; i < 100 && !failedOver; i++) {
    failedOver = recorded(c) !== before;
    if (!failedOver) await sleep(200);
  }
  let again = first === 0 ? 0 : -1;
  for (let i = 0; i < 3 && again !== 0; i++)
    again = (await cli(['apply', '--yes'], c.dir, 180_000)).code;
  const empty = /nothing to do/.test((await cli(['apply', '--dry-run'], c.dir)).stdout);
  return { afterMs, firstExit: first, failedOver, completed: again === 0 && empty };
}

async function lostAcks(c: BenchCluster, w: Writer, port: number): Promise<number> {
  const r = new Redis({ host: '127.0.0.1', port, password: c.password() });
  try {
    let lost = 0;
    for (let i = 0; i < w.acks.length; i += 1000) {
      const keys = w.acks.slice(i, i + 1000).map((a) => w.key(a.seq));
      lost += (await r.mget(...keys)).filter((v) => v === null).length;
    }
    return lost;
  } finally {
    r.disconnect();
  }
}

const c = await seedCluster();
const endpoint = Number(
  /endpoint: \{ mode: proxy, listen: "127\.0\.0\.1:(\d+)"/.exec(
    readFileSync(path.join(c.dir, 'redis-ha.yaml'), 'utf8'),
  )?.[1],
);
await c.up();
const [p3, p4] = [await freePort(), await freePort()];
const f = files(c, p3, p4);
const client = new Redis({ host: '127.0.0.1', port: endpoint, password: c.password() });
client.on('error', () => undefined);
const w = new Writer(client, 'ops');
w.start();
await sleep(500);
process.on('uncaughtException', (e) => {
  console.error(e);
  void c.down(true).finally(() => process.exit(1));
});
process.on('unhandledRejection', (e) => {
  console.error(e);
  void c.down(true).finally(() => process.exit(1));
});
const STEPS = [
  [f.withReplica, 'add replica'],
  [f.withBoth, 'add sentinel'],
  [f.withReplica, 'remove sentinel'],
  [f.base, 'remove replica'],
  [f.base, 'idle, no apply (baseline)'],
  [f.rebound, 'setting read at start (bind)'],
  [f.base, 'setting read at start, back'],
  [f.base, 'restart --rolling'],
] as const;
const steps: Step[] = [];
for (let i = 1; i <= RUNS; i++) {
  for (const [text, step] of STEPS) {
    writeFileSync(f.file, text);
    const idle = step.startsWith('idle') ? (steps.at(-1)?.ms ?? 4000) : 0;
    const s = await apply(c, w, step, idle);
    steps.push(s);
    console.log(
      `#${i} ${step}: ${s.ms} ms, gap ${s.gapMs} ms, failed ${s.failed}` +
        (s.samples === undefined ? '' : `, ${s.withoutQuorum}/${s.samples} samples without quorum`),
    );
  }
}
const kills = [];
for (let i = 1; i <= KILLS; i++) {
  writeFileSync(f.file, [f.base, f.withBoth, f.base, f.rebound][i % 4] ?? f.base);
  const k = await killedApply(c, Math.round(Math.random() * 8000));
  kills.push(k);
  console.log(
    `kill #${i} at ${k.afterMs} ms: apply exit ${k.firstExit}, failed over ${k.failedOver}, completed after ${k.completed}`,
  );
  await sleep(3000); // the killed node back and synced before the next
}
await sleep(500);
await w.stop();
client.disconnect();
const lost = await lostAcks(c, w, endpoint);
await c.down();

const rows = STEPS.map(([, step]) => step).map((step) => {
  const xs = steps.filter((s) => s.step === step);
  return {
    step,
    ms: stats(xs.map((s) => s.ms)),
    gapMs: stats(xs.map((s) => s.gapMs)),
    failed: xs.reduce((a, s) => a + s.failed, 0),
    samples: xs.reduce((a, s) => a + (s.samples ?? 0), 0),
    withoutQuorum: xs.reduce((a, s) => a + (s.withoutQuorum ?? 0), 0),
  };
});
const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const result = {
  date,
  machine,
  runs: RUNS,
  rows,
  acked: w.acks.length,
  lost,
  kills: {
    n: kills.length,
    failedOver: kills.filter((k) => k.failedOver).length,
    completed: kills.filter((k) => k.completed).length,
    runs: kills,
  },
};
const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  path.join(dir, `apply-ops-${date.slice(0, 10)}.json`),
  JSON.stringify(result, null, 2) + '\n',
);
console.log(`\n${date} — ${machine} — ${RUNS} rounds`);
console.log('| step | apply ms | longest gap ms | failed writes | samples without quorum |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.step} | ${r.ms.min} / **${r.ms.median}** / ${r.ms.max} | ${r.gapMs.min} / **${r.gapMs.median}** / ${r.gapMs.max} | ${r.failed} | ${r.samples ? `${r.withoutQuorum} of ${r.samples}` : '-'} |`,
  );
console.log(
  `acknowledged ${w.acks.length}, lost ${lost}; kills: ${result.kills.failedOver}/${kills.length} failed over, ${result.kills.completed}/${kills.length} completed by apply run again`,
);
