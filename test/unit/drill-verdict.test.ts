import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  maxGap,
  nonPrimaryAcks,
  stats,
  summarize,
  type DrillRun,
} from '../../src/drill/verdict.js';
import { healthyBoundMs } from '../../src/drill/drill.js';
import { renderReportHtml } from '../../src/drill/report.js';
import { traceOf } from '../../src/drill/trace.js';
import { boundTopology } from '../helpers/bound.js';

const t = boundTopology(undefined, 7000, 8000);
const ack = (seq: number, issuedAt: number, ackedAt: number, port: number) => ({
  seq,
  issuedAt,
  ackedAt,
  node: `127.0.0.1:${port}`,
});

test('acks by the primary of the moment, or by the node promoted just after, are fine', () => {
  const timeline = [
    { at: 0, primary: 'redis01' },
    { at: 100, primary: undefined },
    { at: 300, primary: 'redis02' },
  ];
  const acks = [ack(1, 10, 20, 7000), ack(2, 250, 260, 7001), ack(3, 310, 320, 7001)];
  assert.equal(nonPrimaryAcks(t, acks, timeline), 0);
});

test('a moment of "no primary" right after an ack does not hide the node named next', () => {
  const timeline = [
    { at: 0, primary: 'redis01' },
    { at: 270, primary: undefined },
    { at: 270, primary: 'redis02' },
  ];
  assert.equal(nonPrimaryAcks(t, [ack(1, 250, 260, 7001)], timeline), 0);
});

test('an ack by the old primary after the switch is a misrouted write', () => {
  const timeline = [
    { at: 0, primary: 'redis01' },
    { at: 100, primary: 'redis02' },
  ];
  assert.equal(nonPrimaryAcks(t, [ack(1, 150, 160, 7000)], timeline), 1);
  assert.equal(nonPrimaryAcks(t, [ack(1, 150, 160, 9999)], timeline), 1, 'an unknown node');
});

test('write gap and summaries', () => {
  const acks = [
    ack(1, 0, 5, 7000),
    ack(2, 5, 10, 7000),
    ack(3, 10, 400, 7001),
    ack(4, 400, 405, 7001),
  ];
  assert.equal(maxGap(acks, 8, 410), 390);
  assert.equal(maxGap(acks, 8, 2000), 1595, 'silence until the writer stopped counts');
  assert.deepEqual(stats([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.equal(stats([NaN]), null);
  const run = (blackoutMs: number | null, lost: number): DrillRun => ({
    run: 1,
    fault: 'kill',
    from: 'a',
    to: 'b',
    blackoutMs,
    acked: 1,
    maxGapMs: 1,
    lost,
    nonPrimaryAcks: 0,
    errors: 0,
    healthyAfterMs: 5,
  });
  const s = summarize([run(100, 0), run(300, 2), run(null, 0)]);
  assert.deepEqual(s.blackoutMs, { min: 100, median: 200, max: 300 });
  assert.equal(s.lost, 2);
});

test('drill trace: writes/s per bin around the fault, the first report of each phase, switches', () => {
  const acks = [-480, -470, -20, 10, 260, 270, 280].map((ms, seq) => ({
    seq,
    issuedAt: 1000 + ms - 1,
    ackedAt: 1000 + ms,
    node: 'x',
  }));
  const tr = traceOf(
    acks,
    1000,
    1300,
    [
      { at: 1005, channel: '+try-failover' },
      { at: 1006, channel: '+try-failover' },
      { at: 1200, channel: '+switch-master' },
      { at: 1100, channel: '+promoted-slave' },
      { at: 5000, channel: '+failover-end' },
    ],
    [
      { at: 100, primary: 'a' },
      { at: 1250, primary: 'b' },
    ],
    250,
    50,
  );
  assert.equal(tr.fromMs, -500);
  assert.equal(tr.rate.length, 16);
  assert.equal(tr.rate[0], 40, 'two acks in the first 50 ms bin: 40/s');
  assert.equal(tr.rate[15], 60);
  assert.deepEqual(tr.phases, [
    { channel: '+try-failover', atMs: 5 },
    { channel: '+promoted-slave', atMs: 100 },
    { channel: '+switch-master', atMs: 200 },
  ]);
  assert.deepEqual(tr.switches, [{ atMs: 250, to: 'b' }]);
});

test('drill report HTML: names and data are escaped, the inlined script cannot be closed early', () => {
  const run = {
    run: 1,
    fault: 'kill',
    from: '<b>a</b>',
    to: 'b',
    blackoutMs: 200,
    acked: 10,
    maxGapMs: 200,
    lost: 0,
    nonPrimaryAcks: 0,
    errors: 0,
    healthyAfterMs: 900,
    trace: {
      binMs: 50,
      fromMs: 0,
      rate: [1],
      blackoutMs: 200,
      phases: [{ channel: '</script><script>x()</script>', atMs: 1 }],
      switches: [],
    },
  };
  const html = renderReportHtml(
    { fault: 'kill', client: 'endpoint', runs: [run], summary: summarize([run]) },
    new Date(0),
    'window.reportReady=true',
    '',
  );
  assert.ok(html.includes('&lt;b&gt;a&lt;/b&gt; &rarr; b'));
  assert.ok(!html.includes('<b>a</b>'));
  assert.equal(html.split('</script>').length, 3, 'only the two script elements close');
  assert.match(html, /0 acknowledged writes lost/);
});

test('a drill waits for a full resync of its dataset, never less than a minute', () => {
  assert.equal(healthyBoundMs(60_000, 0), 90_000);
  assert.equal(healthyBoundMs(10_000, 0), 60_000);
  // 4 GiB at the 4 MiB/s floor: 1024 s, plus the margin.
  assert.equal(healthyBoundMs(300_000, 4 * 2 ** 30), 1_054_000);
});
