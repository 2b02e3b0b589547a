import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeHealth, majorityPrimary } from '../../src/view/health.js';
import type { NodeObs, Observation, SentinelObs } from '../../src/view/observation.js';
import type { BoundTopology } from '../../src/topology/model.js';
import { boundTopology } from '../helpers/bound.js';

const t: BoundTopology = boundTopology(undefined, 7000, 8000);

const primary = (name: string, port: number, offset = 100, ackOffset = offset): NodeObs => ({
  name,
  reachable: true,
  role: 'master',
  offset,
  connectedReplicas: 1,
  acks: t.nodes
    .filter((n) => n.port !== port)
    .map((n) => ({ ip: n.host, port: n.port, state: 'online', offset: ackOffset })),
});
const replica = (
  name: string,
  of: number,
  offset = 100,
  extra: Partial<NodeObs> = {},
): NodeObs => ({
  name,
  reachable: true,
  role: 'slave',
  masterHost: '127.0.0.1',
  masterPort: of,
  linkUp: true,
  syncInProgress: false,
  offset,
  ...extra,
});
const sentinel = (name: string, port: number, extra: Partial<SentinelObs> = {}): SentinelObs => ({
  name,
  reachable: true,
  masterHost: '127.0.0.1',
  masterPort: port,
  masterFlags: 'master',
  numReplicas: 1,
  numOtherSentinels: 2,
  quorumOk: true,
  quorumText: 'OK',
  tilt: false,
  ...extra,
});
const sentinels = (port: number, extra: Partial<SentinelObs>[] = []): SentinelObs[] =>
  t.sentinels.map((s, i) => sentinel(s.name, port, extra[i] ?? {}));

function obs(nodes: NodeObs[], ss: SentinelObs[]): Observation {
  return { at: 0, nodes, sentinels: ss };
}

test('healthy: one primary named by all, replica synced, sentinels complete', () => {
  const h = analyzeHealth(
    t,
    obs([primary('redis01', 7000), replica('redis02', 7000)], sentinels(7000)),
    { strictOffsets: true },
  );
  assert.deepEqual(h.problems, []);
  assert.equal(h.healthy, true);
  assert.equal(h.primary, 'redis01');
  assert.equal(h.agreeing, 3);
});

test('a replica behind by some bytes is not caught up for strict waits', () => {
  const h = analyzeHealth(
    t,
    obs([primary('redis01', 7000, 200), replica('redis02', 7000, 150)], sentinels(7000)),
    { strictOffsets: true },
  );
  assert.equal(h.healthy, false);
  assert.deepEqual(h.problems, ['replica redis02 is 50 bytes behind']);
  assert.equal(
    analyzeHealth(
      t,
      obs([primary('redis01', 7000, 200), replica('redis02', 7000, 150)], sentinels(7000)),
    ).healthy,
    true,
  );
});

test('a replica whose stream the primary still holds (no ACK yet) is not healthy', () => {
  const h = analyzeHealth(
    t,
    obs([primary('redis01', 7000, 100, 0), replica('redis02', 7000)], sentinels(7000)),
  );
  assert.deepEqual(h.problems, [
    'replica redis02: the primary holds its stream until its first ACK (writes would not reach it yet)',
  ]);
});

test('a syncing replica is not healthy', () => {
  const h = analyzeHealth(
    t,
    obs(
      [
        primary('redis01', 7000),
        replica('redis02', 7000, 0, { syncInProgress: true, linkUp: false }),
      ],
      sentinels(7000),
    ),
  );
  assert.deepEqual(h.problems, ['replica redis02 is syncing']);
});

test('split votes: no majority, no primary', () => {
  const ss = [
    sentinel('sentinel-redis01', 7000),
    sentinel('sentinel-redis02', 7001),
    { name: 'sentinel-supervision', reachable: false, error: 'ECONNREFUSED' },
  ];
  const h = analyzeHealth(t, obs([primary('redis01', 7000), primary('redis02', 7001)], ss));
  assert.equal(h.primary, undefined);
  assert.equal(h.healthy, false);
  assert.match(h.problems[0] ?? '', /no sentinel majority names a primary/);
  assert.ok(
    h.problems.some((p) =>
      p.includes('redis01 reports role:master but the sentinels do not name it'),
    ),
  );
});

test('a stale sentinel in the minority is reported, the majority wins', () => {
  const ss = sentinels(7001, [{ masterPort: 7000 }]);
  const h = analyzeHealth(t, obs([replica('redis01', 7001), primary('redis02', 7001)], ss));
  assert.equal(h.primary, 'redis02');
  assert.deepEqual(h.problems, ['sentinel sentinel-redis01 names redis01 instead of redis02']);
});

test('the node the majority names must itself say role:master', () => {
  const h = analyzeHealth(
    t,
    obs([replica('redis01', 7001), replica('redis02', 7000)], sentinels(7000)),
  );
  assert.equal(h.primary, undefined);
  assert.match(
    h.problems[0] ?? '',
    /redis01 is named primary by the sentinels but reports role:slave/,
  );
});

test('an old primary restarted alone as master is flagged as split brain', () => {
  const h = analyzeHealth(
    t,
    obs([primary('redis01', 7000), primary('redis02', 7001)], sentinels(7001)),
  );
  assert.equal(h.primary, 'redis02');
  assert.ok(
    h.problems.includes(
      'redis01 reports role:master but the sentinels do not name it (split brain risk)',
    ),
  );
});

test('TILT, missing peers, failed CKQUORUM and o_down are problems', () => {
  const ss = sentinels(7000, [
    { tilt: true },
    { numOtherSentinels: 1, numReplicas: 0 },
    {
      quorumOk: false,
      quorumText: 'NOQUORUM 1 usable Sentinels',
      masterFlags: 's_down,o_down,master',
    },
  ]);
  const h = analyzeHealth(t, obs([primary('redis01', 7000), replica('redis02', 7000)], ss));
  assert.deepEqual(h.problems, [
    'sentinel sentinel-redis01 is in TILT mode',
    'sentinel sentinel-redis02 knows 0/1 replicas',
    'sentinel sentinel-redis02 knows 1/2 other sentinels',
    'sentinel sentinel-supervision flags the primary s_down,o_down,master',
    'sentinel sentinel-supervision: CKQUORUM failed: NOQUORUM 1 usable Sentinels',
  ]);
});

test('majority needs more than half of all sentinels, not of the reachable ones', () => {
  const ss: SentinelObs[] = [
    sentinel('sentinel-redis01', 7001),
    { name: 'sentinel-redis02', reachable: false },
    { name: 'sentinel-supervision', reachable: false },
  ];
  assert.deepEqual(majorityPrimary(t, ss), { votes: 1 });
});
