/// <reference lib="dom" />
/**
 * Draws a drill report's charts (uPlot, inlined in the report: no network): per run, the
 * acknowledged write rate around the fault, the blackout shaded, the sentinels' phases and the
 * endpoint's switches marked. The PNG is a screenshot of these same charts.
 */
import uPlot from 'uplot';
import type { RunTrace } from './trace.js';

interface ReportData {
  runs: { run: number; from: string; to: string; trace?: RunTrace }[];
}

const BLACKOUT = 'rgba(213, 94, 0, 0.22)'; // Okabe-Ito vermillion, light
const PHASE = '#0072B2';
const SWITCH = '#009E73';

function marks(u: uPlot, tr: RunTrace): void {
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  const x = (ms: number): number => u.valToPos(ms / 1000, 'x', true);
  ctx.save();
  if (tr.blackoutMs !== null) {
    ctx.fillStyle = BLACKOUT;
    ctx.fillRect(x(0), top, Math.max(1, x(tr.blackoutMs) - x(0)), height);
  }
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  ctx.textAlign = 'left';
  const line = (ms: number, colour: string, label: string, dash: number[], row: number): void => {
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x(ms), top);
    ctx.lineTo(x(ms), top + height);
    ctx.stroke();
    ctx.fillText(label, x(ms) + 3, top + (12 + row * 13) * devicePixelRatio);
  };
  line(0, '#000', 'fault', [], 0);
  tr.phases.forEach((p, i) => line(p.atMs, PHASE, p.channel, [4, 3], 1 + (i % 8)));
  tr.switches.forEach((s, i) => line(s.atMs, SWITCH, `endpoint -> ${s.to}`, [1, 2], 9 + (i % 2)));
  ctx.restore();
}

function chart(el: HTMLElement, r: ReportData['runs'][number]): void {
  const tr = r.trace;
  if (!tr) return;
  const xs = tr.rate.map((_, i) => (tr.fromMs + i * tr.binMs) / 1000);
  new uPlot(
    {
      title:
        `run ${r.run}: ${r.from} -> ${r.to}` +
        (tr.blackoutMs === null ? '' : `, blackout ${Math.round(tr.blackoutMs)} ms`),
      width: 900,
      height: 300,
      scales: { x: { time: false } },
      axes: [{ label: 'seconds from the fault' }, { label: 'acknowledged writes/s', size: 70 }],
      series: [
        {},
        {
          label: 'writes/s',
          stroke: '#000',
          width: 1.5,
          fill: 'rgba(0,0,0,0.06)',
          points: { show: false },
        },
      ],
      legend: { show: false },
      hooks: { draw: [(u) => marks(u, tr)] },
    },
    [xs, tr.rate],
    el,
  );
}

const data = JSON.parse(
  document.getElementById('data')?.textContent ?? '{"runs":[]}',
) as ReportData;
const charts = document.getElementById('charts');
for (const r of data.runs) {
  const el = document.createElement('div');
  el.className = 'run';
  charts?.appendChild(el);
  chart(el, r);
}
(window as unknown as { reportReady: boolean }).reportReady = true;
