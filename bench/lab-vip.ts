/**
 * The floating address in the lab (`npm run bench:lab`, root): the seed's three hosts as network
 * namespaces, clients in a fourth writing through the VIP. Kill -9 of the primary (the target:
 * first acknowledged write <= 0.5 s median), a partition of the primary's host (the VIP never on
 * two hosts, sampled every 50 ms on every host; released within the fence timeout), a partition
 * shorter than down-after, and a frozen host. Writes bench/results/lab-vip-DATE.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { cli } from '../test/helpers/cluster.js';
import { LAB_TOPOLOGY } from '../src/topology/seed.js';
import type { DrillReport } from '../src/drill/drill.js';

/** fault, runs, and how long it lasts (a data host that stays down: its link cut for 60 s). */
const RUNS: [string, number, string?][] = [
  ['kill', Number(process.env.LAB_KILL_RUNS ?? 10)],
  ['partition', Number(process.env.LAB_PARTITION_RUNS ?? 10)],
  ['partition', Number(process.env.LAB_DOWN_RUNS ?? 3), '60s'],
  ['partition-heal', Number(process.env.LAB_HEAL_RUNS ?? 5)],
  ['host-freeze', Number(process.env.LAB_FREEZE_RUNS ?? 3)],
];

if (process.getuid?.() !== 0) {
  console.error('bench:lab needs root (network namespaces)');
  process.exit(4);
}
const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-bench-lab-'));
const file = path.join(dir, 'lab.yaml');
writeFileSync(file, stringify({ ...LAB_TOPOLOGY, stateDir: path.join(dir, 'state') }));
const results: Record<string, unknown> = {};
try {
  const up = await cli(['lab', 'up', '-f', file], dir, 300_000);
  if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`);
  for (const [fault, runs, lasting] of RUNS) {
    if (runs < 1) continue;
    const r = await cli(
      [
        'drill',
        '--lab',
        '-f',
        file,
        '--fault',
        fault,
        '--runs',
        String(runs),
        ...(lasting ? ['--for', lasting] : []),
        '--json',
      ],
      dir,
      1_800_000,
    );
    if (!r.stdout.trim().startsWith('{')) throw new Error(`${fault}: ${r.stderr}`);
    const rep = JSON.parse(r.stdout) as DrillReport;
    const v = rep.runs.map((x) => x.vip);
    results[lasting ? `${fault}-${lasting}` : fault] = {
      summary: rep.summary,
      overlappingSamples: v.reduce((n, x) => n + (x?.overlapping ?? 0), 0),
      samples: v.reduce((n, x) => n + (x?.samples ?? 0), 0),
      releasedAfterMs: v.map((x) => x?.releasedAfterMs ?? null),
      takenAfterMs: v.map((x) => x?.takenAfterMs ?? null),
      blackoutMs: rep.runs.map((x) => x.blackoutMs),
      maxGapMs: rep.runs.map((x) => x.maxGapMs),
      singleCopyMs: rep.runs.map((x) => x.singleCopyMs ?? null),
      isolatedRefusedAfterMs: rep.runs.map((x) => x.isolatedRefusedAfterMs ?? null),
      lost: rep.summary.lost,
      lostBy: rep.runs.map((x) => x.lostBy ?? null),
    };
    console.log(
      fault,
      lasting ?? '',
      JSON.stringify(results[lasting ? `${fault}-${lasting}` : fault]),
    );
  }
} finally {
  await cli(['lab', 'down', '-f', file], dir, 120_000);
  rmSync(dir, { recursive: true, force: true });
}
const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/results');
mkdirSync(out, { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  path.join(out, `lab-vip-${date}.json`),
  JSON.stringify(
    { date, machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`, results },
    null,
    2,
  ) + '\n',
);
