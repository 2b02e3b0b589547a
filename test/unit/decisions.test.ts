import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideOnPrimaryExit, decideRejoin, nextBackoff } from '../../src/runtime/decisions.js';

test('a dead primary with a synced replica is never restarted as primary', () => {
  for (const persistence of ['rdb', 'aof', 'rdb+aof', 'none'] as const) {
    assert.deepEqual(decideOnPrimaryExit({ persistence, syncedReplicas: ['redis02'] }), {
      action: 'wait-for-failover',
      candidates: ['redis02'],
    });
  }
});

test('no synced replica: the old primary restarts from its own files', () => {
  const d = decideOnPrimaryExit({ persistence: 'aof', syncedReplicas: [] });
  assert.equal(d.action, 'restart-as-primary');
  assert.ok(d.action === 'restart-as-primary' && !d.dataLost);
});

test('no synced replica and no persistence: restart, and say the data is lost', () => {
  const d = decideOnPrimaryExit({ persistence: 'none', syncedReplicas: [] });
  assert.ok(d.action === 'restart-as-primary' && d.dataLost);
  assert.match(d.reason, /dataset is lost/);
});

test('the old primary rejoins only a promoted node that had completed its sync', () => {
  assert.deepEqual(
    decideRejoin({ promoted: 'redis02', promotedWasSynced: true, oldPrimary: 'redis01' }),
    { action: 'rejoin' },
  );
  const hold = decideRejoin({
    promoted: 'redis02',
    promotedWasSynced: false,
    oldPrimary: 'redis01',
  });
  assert.equal(hold.action, 'hold');
  assert.ok(hold.action === 'hold' && /kept stopped/.test(hold.reason));
});

test('restart backoff doubles up to the max and resets after a stable run', () => {
  let a = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const b = nextBackoff(a, 100, 200, 10_000);
    a = b.attempts;
    delays.push(b.delayMs);
  }
  assert.deepEqual(delays, [400, 800, 1600, 3200, 6400, 10000, 10000, 10000]);
  assert.deepEqual(nextBackoff(7, 60_000, 200, 10_000), { attempts: 0, delayMs: 200 });
});
