import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ASSETS } from '../dashboard/assets.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RedisHaError } from '../errors/errors.js';
import { CHROMIUM, launchChromium } from '../util/chromium.js';
import type { DrillReport } from './drill.js';
import type { Stats } from './verdict.js';

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** JSON inside <script type="application/json">: nothing in it can close the element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, '');
}

const ms = (x: number | null | undefined): string => (x == null ? 'n/a' : `${Math.round(x)} ms`);
const row = (name: string, s: Stats | null): string =>
  `<tr><th>${esc(name)}</th><td>${ms(s?.min)}</td><td>${ms(s?.median)}</td><td>${ms(s?.max)}</td></tr>`;

/** A self-contained page (no network): summary table, per-run table, the charts' data and code. */
export function renderReportHtml(r: DrillReport, at: Date, js: string, css: string): string {
  const s = r.summary;
  const runs = r.runs
    .map(
      (x) =>
        `<tr><td>${x.run}</td><td>${esc(x.from)} &rarr; ${esc(x.to)}</td><td>${ms(x.blackoutMs)}</td><td>${ms(x.maxGapMs)}</td><td>${x.acked}</td><td>${x.lost}</td><td>${x.nonPrimaryAcks}</td><td>${ms(x.healthyAfterMs)}</td></tr>`,
    )
    .join('\n');
  const verdict =
    s.lost === 0 && s.nonPrimaryAcks === 0
      ? '<strong class="ok">0 acknowledged writes lost, 0 acknowledged by a non-primary</strong>'
      : `<strong class="bad">${s.lost} acknowledged writes lost, ${s.nonPrimaryAcks} acknowledged by a non-primary</strong>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redis-ha drill: ${esc(r.fault)} x${r.runs.length}</title>
<style>${css}
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.2rem .7rem;border-bottom:1px solid #ddd}.ok{color:#007a56}.bad{color:#b8420a}
.legend span{margin-right:1.2rem}.run{margin:1rem 0}#report{padding:.5rem;background:#fff}</style></head>
<body><div id="report">
<h1>Drill: ${esc(r.fault)} &times; ${r.runs.length} through the ${esc(r.client)}</h1>
<p>${esc(at.toISOString())}. ${verdict}.</p>
<table><tr><th></th><th>min</th><th>median</th><th>max</th></tr>
${row('blackout (fault to first acknowledged write issued after it)', s.blackoutMs)}
${row('longest gap between acknowledgements', s.maxGapMs)}
${row('healthy again after', s.healthyAfterMs)}</table>
<p class="legend"><span>shaded: blackout</span><span>blue dashed: sentinel failover phases</span><span>green dotted: the endpoint's switch</span><span>black: the fault</span></p>
<div id="charts"></div>
<table><tr><th>run</th><th>primary</th><th>blackout</th><th>max gap</th><th>acknowledged</th><th>lost</th><th>by a non-primary</th><th>healthy after</th></tr>
${runs}</table>
</div>
<script type="application/json" id="data">${scriptJson({ runs: r.runs.map((x) => ({ run: x.run, from: x.from, to: x.to, trace: x.trace })) })}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
</body></html>
`;
}

/** Writes DIR/drill-report.html and DIR/drill-report.png (Debian's chromium renders the charts). */
export async function writeDrillReport(
  dir: string,
  r: DrillReport,
): Promise<{ html: string; png: string }> {
  mkdirSync(dir, { recursive: true });
  const html = path.join(dir, 'drill-report.html');
  const png = path.join(dir, 'drill-report.png');
  const js = readFileSync(new URL('report.js', ASSETS), 'utf8');
  const css = readFileSync(new URL('uPlot.min.css', ASSETS), 'utf8');
  writeFileSync(html, renderReportHtml(r, new Date(), js, css));
  let browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    throw new RedisHaError('DEPENDENCY_MISSING', `cannot start ${CHROMIUM} to render ${png}`, {
      hint: `the HTML report is written (${html}); for the PNG: sudo apt-get install -y chromium`,
      cause: e,
    });
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction(
      () => (window as unknown as { reportReady?: boolean }).reportReady,
      undefined,
      {
        timeout: 10_000,
      },
    );
    await page.locator('#report').screenshot({ path: png });
  } finally {
    await browser.close();
  }
  return { html, png };
}
