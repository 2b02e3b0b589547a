import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latestFailover, Timeline, type TimelineEntry } from '../../src/dashboard/timeline.js';
import { buildSnapshot } from '../../src/dashboard/view.js';
import type { ScrapeData } from '../../src/metrics/ha-metrics.js';
import { parseInfo } from '../../src/redis/info.js';
import { boundTopology } from '../helpers/bound.js';

const t = boundTopology(undefined, 7000, 8000);
const [n1, n2] = t.nodes;

function sentinelEvents(
  tl: Timeline,
  at: number,
  from: number,
  to: number,
  start = '+try-failover',
): void {
  const ev = (dt: number, channel: string, text: string, member = 's1'): void =>
    void tl.add({ at: at + dt, source: 'sentinel', member, channel, text, level: 'info' });
  ev(0, start, `master mymaster 127.0.0.1 ${from}`);
  ev(50, '+elected-leader', `master mymaster 127.0.0.1 ${from}`);
  ev(100, '+selected-slave', `slave 127.0.0.1:${to} 127.0.0.1 ${to} @ mymaster 127.0.0.1 ${from}`);
  ev(900, '+promoted-slave', `slave 127.0.0.1:${to} 127.0.0.1 ${to} @ mymaster 127.0.0.1 ${from}`);
  for (const [i, s] of ['s1', 's2', 's3'].entries())
    ev(1000 + i, '+switch-master', `mymaster 127.0.0.1 ${from} 127.0.0.1 ${to}`, s);
  ev(1010, '+failover-end', `master mymaster 127.0.0.1 ${from}`);
}

test('latest failover: its phases in order, once although three sentinels announce the switch', () => {
  const tl = new Timeline();
  assert.equal(latestFailover(tl.entries), undefined);
  tl.add({ at: 1, source: 'supervisor', text: 'ready', level: 'info' });
  sentinelEvents(tl, 10_000, n1!.port, n2!.port);
  let f = latestFailover(tl.entries);
  assert.ok(f);
  assert.equal(f.done, true);
  assert.equal(f.totalMs, 1000);
  assert.deepEqual(
    f.phases.map((p) => [p.channel, p.sinceMs]),
    [
      ['+try-failover', 0],
      ['+elected-leader', 50],
      ['+selected-slave', 50],
      ['+promoted-slave', 800],
      ['+switch-master', 100],
      ['+failover-end', 10],
    ],
  );
  // The next failover (back again) replaces it; a +sdown of a replica is not a start.
  tl.add({
    at: 20_000,
    source: 'sentinel',
    channel: '+sdown',
    text: `slave 127.0.0.1:1 127.0.0.1 1 @ mymaster 127.0.0.1 ${n2!.port}`,
    level: 'info',
  });
  sentinelEvents(tl, 30_000, n2!.port, n1!.port, '+sdown');
  f = latestFailover(tl.entries);
  assert.equal(f?.startedAt, 30_000);
  assert.equal(f?.phases[0]?.channel, '+sdown');
  // One under way: not done, no total yet.
  tl.add({
    at: 40_000,
    source: 'sentinel',
    channel: '+odown',
    text: `master mymaster 127.0.0.1 ${n1!.port} #quorum 2/2`,
    level: 'warn',
  });
  f = latestFailover(tl.entries);
  assert.equal(f?.done, false);
  assert.equal(f?.totalMs, undefined);
  const ids = new Set(f?.entryIds);
  assert.ok(tl.entries.filter((e: TimelineEntry) => ids.has(e.id)).every((e) => e.at >= 40_000));
});

test('snapshot: the majority primary, replica lag, a node down, health', () => {
  const data = (down?: string): ScrapeData => ({
    at: 5,
    nodes: [
      {
        name: n1!.name,
        info: parseInfo(
          `role:master\r\nrun_id:a\r\nmaster_repl_offset:1000\r\nslave0:ip=127.0.0.1,port=${n2!.port},state=online,offset=990,lag=1\r\nused_memory:10\r\nmaxmemory:100\r\ninstantaneous_ops_per_sec:7\r\nconnected_clients:3`,
        ),
      },
      down === n2!.name
        ? { name: n2!.name, error: 'no reply within 1000ms' }
        : {
            name: n2!.name,
            info: parseInfo(
              `role:slave\r\nrun_id:b\r\nmaster_host:127.0.0.1\r\nmaster_port:${n1!.port}\r\nmaster_link_status:up\r\nslave_repl_offset:990`,
            ),
          },
    ],
    sentinels: t.sentinels.map((s) => ({
      name: s.name,
      replies: {
        info: parseInfo('sentinel_tilt:0'),
        master: { name: 'mymaster', ip: '127.0.0.1', port: String(n1!.port), flags: 'master' },
        replicas: [],
        sentinels: [],
        ckquorumOk: true,
      },
    })),
    endpoints: [{ endpoint: 'primary', runId: 'a', seconds: 0.002 }],
    failovers: { count: 0, inProgress: false },
  });
  const s = buildSnapshot(t, data());
  assert.equal(s.primary, n1!.name);
  assert.equal(s.healthy, true);
  assert.equal(s.agree, true);
  const r = s.nodes.find((n) => n.name === n2!.name);
  assert.deepEqual([r?.lagBytes, r?.lagSeconds, r?.follows, r?.linkUp], [10, 1, n1!.name, true]);
  assert.deepEqual(s.endpoints[0], {
    endpoint: 'primary',
    address: '127.0.0.1:6390',
    up: true,
    reaches: n1!.name,
    probeMs: 2,
  });
  const d = buildSnapshot(t, data(n2!.name));
  assert.equal(d.healthy, false);
  assert.equal(d.nodes.find((n) => n.name === n2!.name)?.error, 'no reply within 1000ms');
});
