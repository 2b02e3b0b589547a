import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sentinelMajority } from '../../src/monitor/check-peers.js';
import { scrapedMajority, type ScrapeData } from '../../src/metrics/ha-metrics.js';
import { buildSnapshot } from '../../src/dashboard/view.js';
import { majorityPrimary } from '../../src/view/health.js';
import { analyze, initialState } from '../../src/view/watch-state.js';
import { boundTopology } from '../helpers/bound.js';
import { fold, poll, role } from '../helpers/fixtures.js';

const t = boundTopology(undefined, 7000, 8000);
const [r1, r2] = t.nodes;
const names = t.sentinels.map((s) => s.name);

/** Each sentinel names a node, TILT or not: what every component concludes. */
function everywhere(views: { names: string; tilt: boolean }[]): (string | undefined)[] {
  const node = (n: string) => t.nodes.find((x) => x.name === n)!;
  const state = fold(
    [
      ...views.map((v, i) => poll(names[i]!, node(v.names), { tilt: v.tilt })),
      role(r1!, 'master'),
      role(r2!, 'master'),
    ],
    initialState(names),
  );
  const scrape: ScrapeData = {
    at: 0,
    nodes: t.nodes.map((n) => ({ name: n.name, info: { role: 'master', run_id: n.name } })),
    sentinels: views.map((v, i) => ({
      name: names[i]!,
      replies: {
        info: { sentinel_tilt: v.tilt ? '1' : '0' },
        master: { name: t.masterName, ip: node(v.names).host, port: String(node(v.names).port) },
        replicas: [],
        sentinels: [],
        ckquorumOk: true,
      },
    })),
    endpoints: [],
    failovers: { count: 0, inProgress: false },
  };
  const named = analyze(state).named;
  const obs = views.map((v, i) => ({
    name: names[i]!,
    reachable: true,
    tilt: v.tilt,
    masterHost: node(v.names).host,
    masterPort: node(v.names).port,
  }));
  // The plugins ask INFO sentinel with the address: a sentinel in TILT counts as no answer.
  const plugin = sentinelMajority(
    views.map((v) => (v.tilt ? undefined : [node(v.names).host, String(node(v.names).port)])),
  );
  return [
    named && t.nodes.find((n) => n.port === named.port)?.name,
    majorityPrimary(t, obs).name,
    scrapedMajority(t, scrape).name,
    buildSnapshot(t, scrape).primary,
    plugin.count >= plugin.needed
      ? t.nodes.find((n) => plugin.named.endsWith(`:${n.port}`))?.name
      : undefined,
  ];
}

test('TILT sentinels are treated the same everywhere: the view, health, metrics, dashboard, plugins', () => {
  // Two of three name redis02, but both are in TILT: no majority anywhere.
  assert.deepEqual(
    everywhere([
      { names: 'redis02', tilt: true },
      { names: 'redis02', tilt: true },
      { names: 'redis02', tilt: false },
    ]),
    [undefined, undefined, undefined, undefined, undefined],
  );
  // One in TILT naming the old primary, two naming the new one: redis02 everywhere.
  assert.deepEqual(
    everywhere([
      { names: 'redis01', tilt: true },
      { names: 'redis02', tilt: false },
      { names: 'redis02', tilt: false },
    ]),
    ['redis02', 'redis02', 'redis02', 'redis02', 'redis02'],
  );
});

test('one majority rule: no other module counts half the sentinels itself', () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../src');
  const found: string[] = [];
  for (const f of readdirSync(root, { recursive: true }).map(String)) {
    if (!f.endsWith('.ts') || f === path.join('topology', 'majority.ts')) continue;
    const text = readFileSync(path.join(root, f), 'utf8');
    if (/\/ 2\) \+ 1|>=? [\w.]+\.length \/ 2\b/.test(text)) found.push(f);
  }
  assert.deepEqual(found, [], 'use majorityNeeded/tally from src/topology/majority.ts');
});
