/// <reference lib="dom" />
/**
 * The dashboard page: Preact + htm (no build step for templates, escaping by construction: every
 * name and event text is rendered as text), uPlot for the charts. Fed by /events (SSE).
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import uPlot from 'uplot';
import type { FailoverPhases, TimelineEntry } from '../timeline.js';
import { sampleOf, type Sample } from '../sample.js';
import type { BackupView, NodeView, SentinelView, Snapshot } from '../view.js';

type View = Snapshot & { actions: boolean; latestFailover?: FailoverPhases | undefined };

const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function fmtTime(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

function NodeCard({ n, primary }: { n: NodeView; primary: string | undefined }): unknown {
  const cls = `card node ${n.primary ? 'primary' : ''} ${n.up ? '' : 'down'}`;
  const role = !n.up
    ? 'DOWN'
    : n.primary
      ? 'PRIMARY'
      : n.role === 'slave'
        ? 'replica'
        : 'master (not named)';
  const mem = n.maxMemory ? Math.min(100, ((n.usedMemory ?? 0) / n.maxMemory) * 100) : undefined;
  return html`<div class=${cls} data-node=${n.name}>
    <h3>${n.name} <span class=${n.up ? (n.primary || n.role === 'slave' ? 'ok' : 'bad') : 'bad'}>${role}</span></h3>
    <div class="muted">${n.address}</div>
    ${
      n.role === 'slave' &&
      html`<div class="arrow">replicates from ${n.follows ?? '?'}: <span class=${n.linkUp && n.follows === primary ? 'ok' : 'bad'}>link ${n.linkUp ? 'up' : 'down'}</span></div>`
    }
    ${
      n.up
        ? html`<dl>
              ${
                n.role === 'slave' &&
                html`<dt>lag</dt>
                  <dd>
                    ${fmtBytes(n.lagBytes)}${n.lagSeconds === undefined ? '' : `, ${n.lagSeconds} s`}
                  </dd>`
              }
              <dt>ops/s</dt>
              <dd>${n.opsPerSec ?? '-'}</dd>
              <dt>clients</dt>
              <dd>${n.clients ?? '-'}</dd>
              <dt>memory</dt>
              <dd>
                ${fmtBytes(n.usedMemory)}${n.maxMemory ? ` of ${fmtBytes(n.maxMemory)}` : ' (no limit)'}
              </dd>
            </dl>
            ${mem !== undefined && html`<div class="bar" title=${`${mem.toFixed(1)} % of maxmemory`}><span style=${`width:${mem}%`}></span></div>`}`
        : html`<div class="bad">${n.error ?? 'no answer'}</div>`
    }
  </div>`;
}

function SentinelRow({ s, primary }: { s: SentinelView; primary: string | undefined }): unknown {
  return html`<tr data-sentinel=${s.name}>
    <td>${s.name}</td>
    <td class="muted">${s.address}</td>
    <td class=${!s.up ? 'bad' : s.names === primary ? 'ok' : 'bad'}>
      ${s.up ? (s.names ?? '?') : 'DOWN'}
    </td>
    <td class=${s.tilt ? 'bad' : ''}>${s.up ? (s.tilt ? 'TILT' : 'no') : '-'}</td>
    <td class=${s.ckquorum ? 'ok' : 'bad'}>${s.up ? (s.ckquorum ? 'OK' : 'NO') : '-'}</td>
    <td>${s.flags.join(', ') || (s.up ? 'ok' : (s.error ?? ''))}</td>
  </tr>`;
}

function Chart({
  title,
  samples,
  field,
  unit,
}: {
  title: string;
  samples: Sample[];
  field: 'ops' | 'lag' | 'memory';
  unit: string;
}): unknown {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = Object.keys(samples.at(-1)?.[field] ?? {});
  useEffect(() => {
    if (!el.current || names.length === 0) return;
    const data: uPlot.AlignedData = [
      samples.map((s) => s.at / 1000),
      ...names.map((n) => samples.map((s) => s[field][n] ?? null)),
    ];
    if (!plot.current || plot.current.series.length !== names.length + 1) {
      plot.current?.destroy();
      plot.current = new uPlot(
        {
          title,
          width: 360,
          height: 160,
          series: [
            {},
            ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length], width: 2 })),
          ],
          // Byte ticks as KiB/MiB: raw byte counts were wider than the axis and ran into its label.
          axes: [
            {},
            unit === 'bytes'
              ? { size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map((v) => fmtBytes(v)) }
              : { label: unit, size: 60 },
          ],
        },
        data,
        el.current,
      );
    } else plot.current.setData(data);
  });
  useEffect(() => () => plot.current?.destroy(), []);
  return html`<div ref=${el} class="chart" aria-label=${title}></div>`;
}

function Timeline({
  entries,
  phases,
}: {
  entries: TimelineEntry[];
  phases: FailoverPhases | undefined;
}): unknown {
  const marked = new Set(phases?.entryIds ?? []);
  return html`<div class="timeline">
    <table>
      <thead>
        <tr>
          <th>time (UTC)</th>
          <th>source</th>
          <th>who</th>
          <th>what</th>
        </tr>
      </thead>
      <tbody>
        ${[...entries]
          .reverse()
          .slice(0, 300)
          .map(
            (e) =>
              html`<tr key=${e.id} class=${marked.has(e.id) ? 'phase' : ''}>
                <td>${fmtTime(e.at)}</td>
                <td>${e.source}</td>
                <td>${e.member ?? ''}</td>
                <td class=${e.level === 'error' ? 'bad' : e.level === 'warn' ? 'warn' : ''}>
                  ${e.channel ? `${e.channel} ` : ''}${e.text}
                </td>
              </tr>`,
          )}
      </tbody>
    </table>
  </div>`;
}

function Phases({ p }: { p: FailoverPhases | undefined }): unknown {
  if (!p) return html`<p class="muted">No failover seen since the dashboard started.</p>`;
  return html`<div class="phases">
    <p>
      <strong>${p.done ? 'Latest failover' : 'Failover in progress'}</strong>
      ${p.totalMs !== undefined ? ` — ${(p.totalMs / 1000).toFixed(2)} s from first sign to +switch-master` : ''}
    </p>
    <ol>
      ${p.phases.map((x) => html`<li>${fmtTime(x.at)} <strong>${x.channel}</strong> (+${x.sinceMs} ms)</li>`)}
    </ol>
  </div>`;
}

async function act(name: 'switchover' | 'failover'): Promise<void> {
  const token = window.prompt(
    `${name}: this changes the primary. Enter the dashboard token to confirm (redis-ha secrets).`,
  );
  if (!token) return;
  const r = await fetch(`/api/action/${name}`, {
    method: 'POST',
    headers: { 'x-redis-ha-token': token },
  });
  const body = (await r.json()) as { message?: string; error?: string };
  window.alert(body.message ?? body.error ?? String(r.status));
}

function App(): unknown {
  const [view, setView] = useState<View | null>(null);
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource('/events');
    es.addEventListener('hello', (m: MessageEvent<string>) => {
      const d = JSON.parse(m.data) as {
        history: Sample[];
        timeline: TimelineEntry[];
        snapshot: View | null;
      };
      setSamples(d.history);
      setEntries(d.timeline);
      if (d.snapshot) setView(d.snapshot);
      setConnected(true);
    });
    es.addEventListener('snapshot', (m: MessageEvent<string>) => {
      const v = JSON.parse(m.data) as View;
      setView(v);
      setSamples((xs) => {
        const last = xs.at(-1);
        if (last && v.at - last.at < 1000) return xs;
        const s = sampleOf(v);
        return [...xs.slice(-299), s];
      });
    });
    es.addEventListener('timeline', (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as TimelineEntry;
      setEntries((xs) => [...xs.slice(-999), e]);
    });
    es.onerror = () => setConnected(false);
    es.onopen = () => setConnected(true);
    return () => es.close();
  }, []);
  if (!view) return html`<p>waiting for the first look at the topology ...</p>`;
  const primary = view.primary;
  const state = view.failovers.inProgress
    ? ['warn', 'FAILOVER IN PROGRESS']
    : view.healthy
      ? ['ok', 'HEALTHY']
      : ['bad', 'DEGRADED'];
  return html` <header>
      <h1>redis-ha — ${view.masterName}</h1>
      <div>
        <span class=${`state ${state[0]}`} id="state">${state[1]}</span> — primary <strong id="primary">${primary ?? 'none'}</strong> (${view.votes}/${view.quorum.sentinels} sentinels name it${view.agree ? ', all reachable agree' : ''}) — <span class="muted">updated ${fmtTime(view.at)} UTC${connected ? '' : ' (disconnected, retrying)'}</span>
      </div>
      ${
        view.actions &&
        html`<div class="actions">
          <button onClick=${() => void act('switchover')}>Switchover…</button
          ><button onClick=${() => void act('failover')}>Failover…</button>
        </div>`
      }
      ${
        view.singleCopySeconds !== undefined &&
        html`<div class="bad" id="single-copy">
          Single copy for ${view.singleCopySeconds.toFixed(1)} s: ${primary ?? 'the primary'} takes
          writes that no replica confirms (a replica is resyncing or gone); a failover now would
          lose them.
        </div>`
      }
      ${view.backup && html`<${BackupLine} b=${view.backup} />`}
    </header>
    <h2>Topology</h2>
    <div class="row">
      ${view.endpoints.map(
        (e) =>
          html`<div class="card endpoint">
            <h3>${e.endpoint === 'read' ? 'read endpoint' : 'endpoint'}</h3>
            <div class="muted">${e.address}</div>
            <div class=${e.up && (e.endpoint === 'read' || e.reaches === primary) ? 'ok' : 'bad'}>→ ${e.up ? (e.reaches ?? '?') : 'no answer'}${e.probeMs === undefined ? '' : ` (${e.probeMs.toFixed(1)} ms)`}</div>
          </div>`,
      )}
      ${view.nodes.filter((n) => n.primary).map((n) => html`<${NodeCard} n=${n} primary=${primary} />`)}
    </div>
    <div class="row" style="margin-top:0.8rem">
      ${view.nodes.filter((n) => !n.primary).map((n) => html`<${NodeCard} n=${n} primary=${primary} />`)}
    </div>
    <div class="row" style="margin-top:0.8rem">
      ${view.sentinels.map((s) => html`<div class=${`card sentinel ${s.up ? '' : 'down'}`}><h3>${s.name}</h3><div class=${s.up && s.names === primary && !s.tilt ? 'ok' : 'bad'}>${s.up ? `names ${s.names ?? '?'}${s.tilt ? ', TILT' : ''}` : 'DOWN'}</div></div>`)}
    </div>
    <h2>Sentinels (quorum ${view.quorum.configured} of ${view.quorum.sentinels}, ${view.quorum.reachable} reachable)</h2>
    <table>
      <thead>
        <tr>
          <th>sentinel</th>
          <th>address</th>
          <th>names primary</th>
          <th>TILT</th>
          <th>CKQUORUM</th>
          <th>master flags</th>
        </tr>
      </thead>
      <tbody>
        ${view.sentinels.map((s) => html`<${SentinelRow} s=${s} primary=${primary} />`)}
      </tbody>
    </table>
    <h2>Failovers (${view.failovers.count} since the dashboard started)</h2>
    <${Phases} p=${view.latestFailover} />
    <h2>Charts (last minutes)</h2>
    <div class="charts">
      <${Chart} title="ops/s" samples=${samples} field="ops" unit="ops/s" />
      <${Chart} title="replica lag (bytes)" samples=${samples} field="lag" unit="bytes" />
      <${Chart} title="memory used (bytes)" samples=${samples} field="memory" unit="bytes" />
    </div>
    <h2>Timeline</h2>
    <${Timeline} entries=${entries} phases=${view.latestFailover} />`;
}

function BackupLine({ b }: { b: BackupView }) {
  const every = `every ${b.everySeconds} s`;
  return html`<div id="backup" class=${b.late ? 'bad' : 'muted'}>
    ${
      b.ageSeconds === undefined
        ? `no backup yet (${every})`
        : `last backup ${b.ageSeconds.toFixed(0)} s ago, ${fmtTime(b.lastAt ?? 0)} UTC (${every})`
    }
  </div>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
