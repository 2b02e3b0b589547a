import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisHaError } from '../../src/errors/errors.js';
import { executePlan } from '../../src/ops/apply.js';
import type { PreparedState } from '../../src/state/prepare.js';
import { describePlan, planApply, type ApplyStep } from '../../src/ops/apply-plan.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { boundTopology } from '../helpers/bound.js';

const seed = (patch: Record<string, unknown> = {}): ReturnType<typeof boundTopology> =>
  boundTopology({ ...SEED_TOPOLOGY, ...patch }, 7000, 8000);

const kinds = (steps: ApplyStep[]): string[] => steps.map((s) => `${s.kind}/${s.effect}`);

test('the same topology: an empty plan', () => {
  const p = planApply(seed(), seed());
  assert.equal(p.empty, true);
  assert.deepEqual(p.steps, []);
  assert.match(describePlan(p), /nothing to do/);
});

test('memory and replication settings: live CONFIG SET steps', () => {
  const p = planApply(
    seed(),
    seed({
      memory: { maxmemory: '256mb', policy: 'volatile-lru' },
      replication: { minReplicasMaxLag: '5s' },
    }),
  );
  assert.deepEqual(kinds(p.steps), [
    'config-set-live/live',
    'config-set-live/live',
    'config-set-live/live',
  ]);
  const text = describePlan(p);
  assert.match(text, /~ redis maxmemory: "536870912" -> "268435456" \(CONFIG SET \+ REWRITE\)/);
  assert.match(text, /maxmemory-policy: "allkeys-lru" -> "volatile-lru"/);
  assert.match(text, /min-replicas-max-lag: "\d+" -> "5"/);
});

test('sentinel settings: SENTINEL SET steps', () => {
  const p = planApply(
    seed(),
    seed({ quorum: 3, sentinel: { downAfter: '3s', failoverTimeout: '20s' } }),
  );
  assert.deepEqual(
    p.steps.map((s) => (s.kind === 'sentinel-set' ? `${s.param}=${s.to}` : s.kind)),
    ['quorum=3', 'down-after-milliseconds=3000', 'failover-timeout=20000'],
  );
  assert.ok(p.steps.every((s) => s.effect === 'live'));
  assert.match(describePlan(p), /~ sentinel quorum: 2 -> 3 \(SENTINEL SET everywhere\)/);
});

test('members added first, removals last; removing the primary needs a switchover', () => {
  const running = seed();
  const nodes = { redis01: { role: 'primary' }, redis03: { role: 'replica' } };
  const sentinels = { 'sentinel-redis01': {}, 'sentinel-redis02': {}, 'sentinel-x': {} };
  const p = planApply(running, seed({ nodes, sentinels }), { primary: 'redis02' });
  assert.deepEqual(kinds(p.steps), [
    'add-replica/none',
    'add-sentinel/none',
    'remove-replica/switchover',
    'remove-sentinel/none',
  ]);
  const text = describePlan(p).split('\n');
  assert.match(text[0] ?? '', /^\+ node redis03 .* priority 0 until synced/);
  assert.match(text[2] ?? '', /^- node redis02 .*switchover first/);
  assert.match(text[3] ?? '', /^- sentinel sentinel-supervision .*SENTINEL RESET one at a time/);
});

test('removing a replica that is not the primary: no switchover', () => {
  const three = { ...SEED_TOPOLOGY.nodes, redis03: { role: 'replica' } };
  const p = planApply(seed({ nodes: three }), seed(), { primary: 'redis01' });
  const members = p.steps.filter((s) => s.kind.startsWith('remove') || s.kind.startsWith('add'));
  assert.deepEqual(kinds(members), ['remove-replica/none']);
});

test('settings read only at start: one rolling restart', () => {
  const p = planApply(seed(), seed({ auth: { appCommands: ['+keys'] } }));
  assert.deepEqual(kinds(p.steps), ['rolling-restart/switchover']);
  assert.match(describePlan(p), /^! rolling restart .*auth\.appCommands: {2}-> \+keys/);
});

test('TLS or the auth mode: not rolled (replication would break mid-way), listed first', () => {
  const p = planApply(seed(), seed({ auth: { mode: 'password' } }));
  assert.deepEqual(kinds(p.steps), ['unsupported/none']);
  assert.match(describePlan(p), /^x auth\.mode: acl -> password \(every member and client at once/);
});

test("redis-ha's own settings: at the next up, and the plan counts as empty", () => {
  const p = planApply(seed(), seed({ supervisor: { failoverWait: '45s' } }));
  assert.deepEqual(kinds(p.steps), ['next-up/next-up']);
  assert.equal(p.empty, true);
  assert.match(describePlan(p), /at the next `redis-ha up`/);
});

test('renaming the master or moving a member: unsupported, listed first', () => {
  const moved = boundTopology({ ...SEED_TOPOLOGY, masterName: 'other' }, 7100, 8000);
  const p = planApply(seed(), moved);
  assert.deepEqual(kinds(p.steps).slice(0, 3), [
    'unsupported/none',
    'unsupported/none',
    'unsupported/none',
  ]);
  assert.match(describePlan(p), /^x renaming the master: not done by apply/);
});

test('execution refuses the steps not done yet, before changing anything', async () => {
  const desired = seed({ auth: { mode: 'password' }, memory: { maxmemory: '1gb' } });
  const plan = planApply(seed(), desired);
  const input = { running: seed(), desired: { t: desired } as unknown as PreparedState, plan };
  await assert.rejects(
    executePlan(input, () => undefined),
    (e: unknown) => {
      assert.ok(e instanceof RedisHaError);
      assert.equal(e.code, 'USAGE');
      assert.match(e.message, /cannot do these steps yet:\n {2}x auth\.mode: acl -> password/);
      assert.doesNotMatch(e.message, /maxmemory/);
      assert.match(e.hint ?? '', /redis-ha down/);
      return true;
    },
  );
});

test('addresses the sentinels still know that are no member: forgotten, last', () => {
  const nodes = { ...SEED_TOPOLOGY.nodes, redis03: { role: 'replica' } };
  const p = planApply(seed(), seed({ nodes }), { strangers: ['127.0.0.1:7999'] });
  assert.deepEqual(kinds(p.steps).at(0), 'add-replica/none');
  assert.deepEqual(kinds(p.steps).at(-1), 'forget/none');
  assert.match(describePlan(p), /- forget 127\.0\.0\.1:7999 .*SENTINEL RESET one at a time/);
  assert.equal(p.empty, false);
});
