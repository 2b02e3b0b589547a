import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../src/state/ports.js';
import { ARTIFACTS } from '../helpers/artifacts.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';
import { withCluster } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';

/** The report renders (self-contained), its charts are drawn, and the PNG holds them. */
async function checkReport(dir: string, runs: number): Promise<void> {
  const html = readFileSync(path.join(dir, 'drill-report.html'), 'utf8');
  assert.match(html, /<h1>Drill: kill &times; 2 through the endpoint<\/h1>/);
  assert.match(html, /0 acknowledged writes lost, 0 acknowledged by a non-primary/);
  assert.doesNotMatch(html, /(src|href)=["']?https?:/, 'no network needed');
  const png = readFileSync(path.join(dir, 'drill-report.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  assert.ok(w >= 800 && h >= 600 && png.length > 20_000, `PNG ${w}x${h}, ${png.length} bytes`);
  const browser = await launchChromium();
  assert.ok(browser, 'chromium');
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(path.join(dir, 'drill-report.html')).href);
    await page.waitForFunction(() => (window as unknown as { reportReady?: boolean }).reportReady);
    const drawn = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#charts canvas')).map((c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; d && i < d.length; i += 4) if ((d[i] ?? 0) > 0) inked++;
        return inked;
      }),
    );
    assert.equal(drawn.length, runs, 'one chart per run');
    for (const n of drawn) assert.ok(n > 5000, `a chart with ${n} drawn pixels`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
}

interface DrillJson {
  runs: {
    blackoutMs: number | null;
    acked: number;
    lost: number;
    nonPrimaryAcks: number;
    maxGapMs: number;
  }[];
  summary: { lost: number; nonPrimaryAcks: number };
}

/**
 * The drills the endpoint issue asks for, a few runs each: kill, freeze and switchover through the
 * endpoint lose no acknowledged write and no write is acknowledged by a non-primary. The other
 * faults run once to prove they work. Figures come from bench/, not from here.
 */
test(
  'drills: kill, freeze, switchover (2 runs each) lose nothing; replica and sentinel faults run',
  { timeout: 600_000 },
  async () => {
    const ep = await freePort();
    await withCluster(
      'drill',
      { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
      async (c) => {
        assert.equal((await c.run(['up', '--detach'])).code, 0);
        const report = ensureDebianTool(CHROMIUM, 'chromium')
          ? path.join(ARTIFACTS, 'drill')
          : undefined;
        for (const [fault, runs] of [
          ['kill', 2],
          ['freeze', 2],
          ['switchover', 2],
          ['kill-replica', 1],
          ['kill-sentinel', 1],
        ] as const) {
          const extra = fault === 'kill' && report ? ['--report', report] : [];
          const r = await c.run([
            'drill',
            '--fault',
            fault,
            '--runs',
            String(runs),
            '--json',
            ...extra,
          ]);
          assert.equal(r.code, 0, `${fault}: ${r.stderr}\n${r.stdout}`);
          const d = JSON.parse(r.stdout) as DrillJson;
          assert.equal(d.runs.length, runs);
          assert.equal(d.summary.lost, 0, `${fault}: acknowledged writes lost`);
          assert.equal(
            d.summary.nonPrimaryAcks,
            0,
            `${fault}: writes acknowledged by a non-primary`,
          );
          for (const run of d.runs) {
            assert.ok(run.acked > 50, `${fault}: the writer made progress (${run.acked})`);
            assert.notEqual(run.blackoutMs, null, `${fault}: writes resumed`);
          }
        }
        if (report) await checkReport(report, 2);
        const bad = await c.run(['drill', '--fault', 'meteor']);
        assert.equal(bad.code, 2);
        assert.match(
          bad.stderr,
          /^error: unknown fault "meteor"\nhint: faults: kill, freeze, switchover, kill-replica, kill-sentinel/,
        );
      },
    );
  },
);
