import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundTopology } from '../helpers/bound.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import {
  harness,
  primaryObs,
  replicaObs,
  until,
  type BackendKind,
  type Harness,
} from '../helpers/ha-fakes.js';
import type { BoundTopology } from '../../src/topology/model.js';

const t = boundTopology(undefined, 7000, 8000);
const tNoPersistence = boundTopology(
  { ...SEED_TOPOLOGY, persistence: { mode: 'none' } },
  7000,
  8000,
);

/** redis02 synced with redis01: the primary confirms its stream (an ACK above 0). */
function synced(h: Harness, topo: BoundTopology = t): void {
  h.view.look([primaryObs(topo, 'redis01'), replicaObs(topo, 'redis02', 'redis01')]);
}

const said = (h: Harness, re: RegExp): boolean => h.events.some((e) => re.test(e.message));

interface Case {
  name: string;
  /** The node whose host the agent runs on (the systemd backend runs only that one). */
  host: string;
  topology?: BoundTopology;
  run(h: Harness): Promise<void>;
}

/**
 * One table of behaviours, run over both backends: the local supervisor's child processes
 * (`up`) and a host's systemd unit (the agent). Same events in, same decisions out.
 */
const CASES: Case[] = [
  {
    name: "the primary's process dies with a synced replica: one immediate failover, never restarted as a primary, then rejoins the promoted node as its replica",
    host: 'redis01',
    async run(h) {
      synced(h);
      await h.kill('redis01');
      await until(() => h.authority.asked.length === 1, 'the failover request');
      assert.deepEqual(h.authority.asked, ['redis01']);
      assert.ok(said(h, /primary died: not restarting it as a primary/));
      assert.deepEqual(h.starts, [], 'not restarted before the failover');
      h.view.confirm('redis02');
      const rejoined = /rejoining as a replica .* of redis02 \(promotion priority 0 until synced\)/;
      await until(() => said(h, rejoined), 'the rejoin');
      assert.deepEqual(h.starts, [{ name: 'redis01', replicaOf: 'redis02' }]);
      assert.deepEqual(h.authority.asked, ['redis01'], 'asked once');
    },
  },
  {
    name: 'the primary dies with no synced replica: restarted at once as a primary from its own files',
    host: 'redis01',
    async run(h) {
      await h.kill('redis01');
      await until(() => h.starts.length === 1, 'the restart');
      assert.deepEqual(h.starts, [{ name: 'redis01', replicaOf: '' }]);
      assert.deepEqual(h.authority.asked, []);
      assert.ok(said(h, /restarting as primary from its own RDB files/));
    },
  },
  {
    name: 'the same with persistence off: restarted, and the event says the dataset is lost',
    host: 'redis01',
    topology: tNoPersistence,
    async run(h) {
      await h.kill('redis01');
      await until(() => h.starts.length === 1, 'the restart');
      assert.ok(h.events.some((e) => e.level === 'error' && /dataset is lost/.test(e.message)));
    },
  },
  {
    name: 'a replica that reports link up before the primary confirms its stream is not promotable',
    host: 'redis02',
    async run(h) {
      // Link up, offsets equal, but no ACK from it yet: the primary still holds its stream.
      h.view.look([primaryObs(t, 'redis01', 0), replicaObs(t, 'redis02', 'redis01')]);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(h.ops.priorities, []);
      await h.kill('redis01'); // the agent of redis02's host does not run redis01: nothing
      assert.deepEqual(h.starts, []);
      synced(h);
      await until(() => h.ops.priorities.length === 1, 'the priority');
      assert.deepEqual(h.ops.priorities, [['redis02', 100]]);
      assert.ok(said(h, /in sync with redis01; promotion priority 100/));
    },
  },
  {
    name: 'a returned old primary is demoted only once a majority (TILT sentinels not counted) confirms another',
    host: 'redis01',
    async run(h) {
      synced(h);
      h.hang('redis01'); // a freeze: alive but silent
      await until(() => h.authority.asked.length === 1, 'the failover request');
      assert.ok(said(h, /hung/));
      // Two of three sentinels name redis02 but both are in TILT: no majority, no switch.
      h.view.confirm('redis02', { tilt: 2 });
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(h.controller.primary, 'redis01');
      assert.deepEqual(h.ops.demoted, []);
      h.view.confirm('redis02');
      await until(() => h.ops.demoted.length === 1, 'the demotion');
      assert.deepEqual(h.ops.demoted, ['redis01->redis02']);
      assert.deepEqual(h.starts, [], 'a live old primary is demoted, not restarted');
    },
  },
  {
    name: 'a hung primary without a synced replica is not failed over',
    host: 'redis01',
    async run(h) {
      h.hang('redis01');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(h.authority.asked, []);
      assert.ok(said(h, /no synced replica to promote: not failing over/));
    },
  },
  {
    name: 'Sentinel promoted a node that had not synced: the dead old primary is kept stopped',
    host: 'redis01',
    async run(h) {
      synced(h);
      await h.kill('redis01');
      await until(() => h.authority.asked.length === 1, 'the failover request');
      // redis02 restarted meanwhile (its copy gone), then got promoted anyway.
      h.view.look([
        replicaObs(t, 'redis02', 'redis01', false),
        { name: 'redis01', reachable: false, offset: 0 },
      ]);
      h.view.look([{ name: 'redis02', reachable: false, offset: 0 }]);
      h.view.confirm('redis02');
      await until(() => said(h, /before it had finished syncing/), 'the hold');
      assert.deepEqual(h.starts, []);
    },
  },
  {
    name: 'a replica restarted between two looks is promotable again only once it has synced anew',
    host: 'redis02',
    async run(h) {
      synced(h);
      await until(() => h.ops.priorities.length === 1, 'the first priority');
      await h.kill('redis02');
      await until(() => h.starts.length === 1, 'the restart');
      // The restarted process (a new run id) waits for its sync: link down, nothing raised.
      const p = primaryObs(t, 'redis01');
      h.view.look([p, replicaObs(t, 'redis02', 'redis01', false, 'second')]);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(h.ops.priorities.length, 1);
      h.view.look([p, replicaObs(t, 'redis02', 'redis01', true, 'second')]);
      await until(() => h.ops.priorities.length === 2, 'the priority after the new sync');
    },
  },
  {
    name: 'the promoted replica takes writes alone at once (single copy), restored when the old primary has synced',
    host: 'redis02',
    async run(h) {
      synced(h);
      await h.kill('redis01');
      h.view.confirm('redis02');
      await until(() => h.ops.quorums.length === 1, 'the lowered quorum');
      assert.deepEqual(h.ops.quorums, [['redis02', 0]]);
      assert.ok(said(h, /takes writes with no replica to confirm them/));
      // redis01 back as its replica, syncing: still alone.
      const p = primaryObs(t, 'redis02');
      h.view.look([{ ...p, acks: [] }, replicaObs(t, 'redis01', 'redis02', false)]);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(h.ops.quorums, [['redis02', 0]]);
      h.view.look([p, replicaObs(t, 'redis01', 'redis02')]);
      await until(() => h.ops.quorums.length === 2, 'the restored quorum');
      assert.deepEqual(h.ops.quorums[1], ['redis02', 1]);
      assert.ok(said(h, /confirm its writes again: min-replicas-to-write 1 .*single copy for/));
    },
  },
  {
    name: 'the replica a failover leader has chosen is lowered before its promotion; the single-copy window starts at the promotion',
    host: 'redis02',
    async run(h) {
      synced(h);
      h.view.chosen('redis02');
      await until(() => h.ops.quorums.length === 1, 'the quorum lowered ahead');
      assert.deepEqual(h.ops.quorums, [['redis02', 0]]);
      assert.ok(!said(h, /takes writes with no replica/), 'still a replica: no window yet');
      await h.kill('redis01');
      h.view.confirm('redis02');
      await until(() => said(h, /takes writes with no replica to confirm them/), 'the window');
      assert.equal(h.ops.quorums.length, 1, 'no second CONFIG SET at the promotion');
    },
  },
  {
    name: 'a chosen replica that is not promoted (the failover aborted) gets its write quorum back',
    host: 'redis02',
    async run(h) {
      synced(h);
      h.view.chosen('redis02');
      await until(() => h.ops.quorums.length === 1, 'the quorum lowered ahead');
      synced(h);
      await until(() => h.ops.quorums.length === 2, 'the quorum restored');
      assert.deepEqual(h.ops.quorums[1], ['redis02', 1]);
      assert.ok(!said(h, /takes writes with no replica/));
    },
  },
  {
    name: 'a primary whose replica dies keeps taking writes, and is restored once the replica is back',
    host: 'redis01',
    async run(h) {
      synced(h);
      const p = primaryObs(t, 'redis01');
      h.view.look([
        { ...p, acks: [] },
        { name: 'redis02', reachable: false, offset: 0 },
      ]);
      await until(() => h.ops.quorums.length === 1, 'the lowered quorum');
      assert.deepEqual(h.ops.quorums, [['redis01', 0]]);
      h.view.look([p, replicaObs(t, 'redis02', 'redis01', true, 'second')]);
      await until(() => h.ops.quorums.length === 2, 'the restored quorum');
      assert.deepEqual(h.ops.quorums[1], ['redis01', 1]);
    },
  },
  {
    name: 'a lowered primary cut off from the sentinel majority is restored at once, and never lowered again while cut off',
    host: 'redis01',
    async run(h) {
      const p = primaryObs(t, 'redis01');
      h.view.look([{ ...p, acks: [] }]);
      await until(() => h.ops.quorums.length === 1, 'the lowered quorum');
      const [s1, s2] = t.sentinels.map((s) => s.name);
      h.view.lose(s1!, s2!);
      await until(() => h.ops.quorums.length === 2, 'the restored quorum');
      assert.deepEqual(h.ops.quorums, [
        ['redis01', 0],
        ['redis01', 1],
      ]);
      h.view.look([{ ...p, acks: [] }]);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(h.ops.quorums.length, 2, 'a minority side never takes writes alone');
    },
  },
  {
    name: 'a replica that dies is restarted as a replica of the current primary',
    host: 'redis02',
    async run(h) {
      synced(h);
      await h.kill('redis02');
      const restarted = /restarting as a replica of redis01 \(promotion priority 0 until synced\)/;
      await until(() => said(h, restarted), 'the restart');
      assert.deepEqual(h.starts, [{ name: 'redis02', replicaOf: 'redis01' }]);
    },
  },
];

for (const kind of ['local', 'systemd'] as BackendKind[])
  for (const c of CASES)
    test(`controller (${kind === 'local' ? 'up' : 'agent'}): ${c.name}`, async () => {
      const h = harness(c.topology ?? t, kind, c.host);
      try {
        await c.run(h);
      } finally {
        h.stop();
      }
    });

test('controller (agent on a replica host): a primary silent to it and to a majority of the sentinels is failed over at once', async () => {
  const h = harness(t, 'systemd', 'redis02');
  try {
    synced(h);
    h.authority.silent = true;
    h.hang('redis01'); // its host cut off: the PING from here goes unanswered
    await until(() => h.authority.asked.length === 1, 'the failover request');
    assert.deepEqual(h.authority.asked, ['redis01']);
    assert.ok(said(h, /none for down-after to a majority of the sentinels: unreachable/));
  } finally {
    h.stop();
  }
});

test('controller (agent on a replica host): silent to it only (a minority, or one cut link): no failover', async () => {
  const h = harness(t, 'systemd', 'redis02');
  try {
    synced(h);
    h.hang('redis01');
    await until(() => h.authority.silenceAsked.length >= 2, 'the sentinels asked again');
    assert.deepEqual(h.authority.asked, [], 'Sentinel decides, in its own time');
  } finally {
    h.stop();
  }
});

test("controller (up): a replica's process exits: the primary's quorum is lowered at once, not at the next look", async () => {
  // Local only: an agent sees no exit of another host's process (its looks lower the quorum).
  const h = harness(t, 'local', 'redis01');
  try {
    synced(h);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.ops.quorums.length, 0);
    await h.kill('redis02');
    await until(() => h.ops.quorums.length === 1, 'the lowered quorum, with no look since');
    assert.deepEqual(h.ops.quorums, [['redis01', 0]]);
  } finally {
    h.stop();
  }
});
