import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisHaError } from '../../src/errors/errors.js';
import {
  compareVersions,
  planRolling,
  type RollingInput,
  type Version,
} from '../../src/ops/rolling-plan.js';

const V7: Version = [7, 0, 15];

function input(o: Partial<RollingInput> = {}): RollingInput {
  return {
    primary: { name: 'redis01', version: V7, priority: 100 },
    replicas: [
      { name: 'redis02', version: V7, priority: 100 },
      { name: 'redis03', version: V7, priority: 50 },
    ],
    sentinels: ['s1', 's2', 's3'].map((name) => ({ name, version: V7 })),
    target: { server: V7, sentinel: V7 },
    ...o,
  };
}

const refused = (i: RollingInput, re: RegExp): void =>
  assert.throws(
    () => planRolling(i),
    (e: unknown) => e instanceof RedisHaError && e.code === 'VERSION_REFUSED' && re.test(e.message),
  );

test('order: replicas, a switchover to the best-priority replica, the old primary, sentinels', () => {
  assert.deepEqual(
    planRolling(input()).map((s) => `${s.kind}:${'name' in s ? s.name : `${s.from}->${s.to}`}`),
    [
      'restart-replica:redis02',
      'restart-replica:redis03',
      'switchover:redis01->redis03',
      'restart-old-primary:redis01',
      'restart-sentinel:s1',
      'restart-sentinel:s2',
      'restart-sentinel:s3',
    ],
  );
});

test('no promotable replica: refused before anything changes', () => {
  assert.throws(
    () => planRolling(input({ replicas: [{ name: 'redis02', version: V7, priority: 0 }] })),
    /needs a replica that can be promoted/,
  );
});

test('an upgrade passes; a downgrade of the primary below its replicas is refused', () => {
  assert.equal(planRolling(input({ target: { server: [7, 2, 4], sentinel: V7 } })).length, 7);
  refused(
    input({ target: { server: [7, 0, 14], sentinel: V7 } }),
    /older than the primary redis01/,
  );
  // A replica already upgraded (a run cut short) and the primary still old: same binary, fine.
  const mixed = input({ replicas: [{ name: 'redis02', version: [7, 2, 4], priority: 1 }] });
  assert.equal(planRolling({ ...mixed, target: { server: [7, 2, 4], sentinel: V7 } }).length, 6);
});

test('sentinels of another major version are refused; a minor change passes', () => {
  refused(input({ target: { server: V7, sentinel: [6, 2, 14] } }), /different major versions/);
  assert.equal(planRolling(input({ target: { server: V7, sentinel: [7, 2, 0] } })).length, 7);
});

test('versions compare numerically', () => {
  assert.ok(compareVersions([7, 10, 0], [7, 9, 9]) > 0);
  assert.equal(compareVersions(V7, [7, 0, 15]), 0);
});
