import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  maxGap,
  nonPrimaryAcks,
  stats,
  summarize,
  type DrillRun,
} from '../../src/drill/verdict.js';
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
