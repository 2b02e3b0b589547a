/**
 * Dashboard freshness (`npm run bench:dashboard`): how long after a change the open page shows it,
 * without reload (the issue: within 1 s). The seed topology brought up by `up`, its dashboard open
 * in Debian's chromium, two kinds of change interleaved:
 *  - a node's figure: maxmemory toggled on redis02 (CONFIG SET), from Redis's acknowledgement
 *    until its card reads "of 1024.0 MiB" / "(no limit)" (the periodic look at every member);
 *  - a failover (SENTINEL FAILOVER), from the first sentinel's +switch-master (our own
 *    subscriptions to all three) until the page names the new primary, and until the timeline
 *    lists that +switch-master (the event stream).
 * "Shown" is a MutationObserver's Date.now() in the page: the same machine's clock as ours.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../src/util/chromium.js';
import { ensureDebianTool } from '../test/helpers/debian.js';
import { seedCluster, stats } from './lib.js';

const TOGGLES = Number(process.env.BENCH_TOGGLES ?? 20);
const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 10);
const LIMIT_MS = 10_000;

type Probe =
  { kind: 'text'; selector: string; text: string } | { kind: 'count'; text: string; above: number };

/** Resolves with the page's Date.now() when the probe holds (checked on every DOM change). */
async function shownAt(page: Page, probe: Probe): Promise<number> {
  const seen = page.evaluate(
    (p: Probe) =>
      new Promise<number>((resolve) => {
        const holds = (): boolean =>
          p.kind === 'text'
            ? (document.querySelector(p.selector)?.textContent ?? '').includes(p.text)
            : Array.from(document.querySelectorAll('.timeline tbody tr')).filter((r) =>
                r.textContent?.includes(p.text),
              ).length > p.above;
        if (holds()) return resolve(Date.now());
        const mo = new MutationObserver(() => {
          if (!holds()) return;
          mo.disconnect();
          resolve(Date.now());
        });
        mo.observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
    probe,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not shown within ${LIMIT_MS} ms: ${JSON.stringify(probe)}`)),
      LIMIT_MS,
    );
  });
  try {
    return await Promise.race([seen, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probe's observer must be in place before the change: evaluate, then a round trip. */
async function armed(page: Page, probe: Probe): Promise<{ shown: Promise<number> }> {
  const shown = shownAt(page, probe);
  // A failed probe is reported where it is awaited.
  void shown.catch(() => undefined);
  await page.evaluate(() => 0);
  return { shown };
}

const switchRows = (page: Page): Promise<number> =>
  page.evaluate(
    () =>
      Array.from(document.querySelectorAll('.timeline tbody tr')).filter((r) =>
        r.textContent?.includes('+switch-master'),
      ).length,
  );

if (!ensureDebianTool(CHROMIUM, 'chromium')) {
  process.stderr.write(
    'error: bench:dashboard needs Debian chromium\nhint: sudo apt-get install -y chromium\n',
  );
  process.exit(4);
}
const c = await seedCluster();
const browser = await launchChromium();
const clients: Redis[] = [];
const times = { figure: [] as number[], primary: [] as number[], timeline: [] as number[] };
/** From the first sentinel's +switch-master to the second's (a majority of three). */
const majoritySwitched: number[] = [];
try {
  await c.up();
  const url = `http://127.0.0.1:${c.dashboardPort}/`;
  const page = await browser.newPage({ viewport: { width: 1300, height: 1500 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}?token=${c.dashboardToken()}`);
  await page.waitForFunction(
    () => document.querySelector('#state')?.textContent === 'HEALTHY',
    undefined,
    {
      timeout: 20_000,
    },
  );

  const redis02 = new Redis({ port: c.ports[1], password: c.password(), lazyConnect: true });
  clients.push(redis02);
  await redis02.connect();
  // +switch-master as the sentinels announce it: the earliest of the three is the change's time.
  let switchedAt = 0;
  // Every sentinel's +switch-master of the current failover: the page needs a majority's word.
  let switches: number[] = [];
  for (const port of c.sentinelPorts) {
    const s = new Redis({ port, password: c.sentinelPassword(), lazyConnect: true });
    clients.push(s);
    await s.connect();
    s.on('message', (channel: string) => {
      if (channel !== '+switch-master') return;
      switches.push(Date.now());
      if (switchedAt === 0) switchedAt = Date.now();
    });
    await s.subscribe('+switch-master');
  }
  const sentinel = clients[1]!.duplicate();
  clients.push(sentinel);
  // SENTINEL MASTERS: one flat field list per master, 'name' first.
  const masters = (await sentinel.call('SENTINEL', 'MASTERS')) as string[][];
  const masterName = masters[0]?.[1] ?? 'mymaster';
  const node = (port: number): string => (port === c.ports[0] ? 'redis01' : 'redis02');

  const failoverEvery = Math.max(1, Math.floor(TOGGLES / Math.max(1, FAILOVERS)));
  let failovers = 0;
  for (let i = 0; i < TOGGLES; i++) {
    // At a random moment of the look period: right after a look would measure only the worst case.
    await sleep(Math.random() * 1000);
    const on = i % 2 === 0;
    const shown = await armed(page, {
      kind: 'text',
      selector: '[data-node="redis02"]',
      text: on ? 'of 1024.0 MiB' : '(no limit)',
    });
    await redis02.config('SET', 'maxmemory', on ? '1gb' : '0');
    const changed = Date.now();
    times.figure.push((await shown.shown) - changed);

    if ((i + 1) % failoverEvery === 0 && failovers < FAILOVERS) {
      failovers++;
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [
        string,
        string,
      ];
      const next = node(Number(addr[1])) === 'redis01' ? 'redis02' : 'redis01';
      const rows = await switchRows(page);
      const primary = await armed(page, { kind: 'text', selector: '#primary', text: next });
      const timeline = await armed(page, { kind: 'count', text: '+switch-master', above: rows });
      switchedAt = 0;
      switches = [];
      await sentinel.call('SENTINEL', 'FAILOVER', masterName);
      const [p, t] = await Promise.all([primary.shown, timeline.shown]);
      times.primary.push(p - switchedAt);
      times.timeline.push(t - switchedAt);
      majoritySwitched.push((switches[1] ?? NaN) - switchedAt);
      // The old primary rejoins as a replica before the next change.
      await page.waitForFunction(
        (n) =>
          document.querySelector('#state')?.textContent === 'HEALTHY' &&
          document.querySelector('#primary')?.textContent === n,
        next,
        { timeout: 30_000 },
      );
      await sleep(1000);
    }
  }
  await redis02.config('SET', 'maxmemory', '0');
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
} finally {
  for (const r of clients) r.disconnect();
  await browser.close();
  await c.down();
}

const date = new Date().toISOString();
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`;
const summary = {
  'a node figure (maxmemory on redis02) -> its card': stats(times.figure),
  '+switch-master -> the page names the new primary': stats(times.primary),
  '+switch-master -> the timeline lists it': stats(times.timeline),
};
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const outDir = path.join(root, 'bench/results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, `dashboard-${date.slice(0, 10)}.json`),
  JSON.stringify({ date, machine, times, majoritySwitched, summary }, null, 2) + '\n',
);
const lines = [
  `${date} — ${machine} — change -> shown on the open page (ms)`,
  '',
  '| change -> shown | n | min | median | max |',
  '| --- | --- | --- | --- | --- |',
  ...Object.entries(summary).map(
    ([k, s]) => `| ${k} | ${s.n} | ${s.min} | **${s.median}** | ${s.max} |`,
  ),
];
process.stdout.write(lines.join('\n') + '\n');
