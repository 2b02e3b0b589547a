import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideOnPrimaryExit,
  decideRejoin,
  nextBackoff,
  replicasAheadOfFiles,
  syncWaitsForSnapshot,
} from '../../src/controller/decisions.js';
import {
  analyze,
  initialState,
  reduce,
  staleMasters,
  type WatchState,
} from '../../src/view/watch-state.js';
import { boundTopology } from '../helpers/bound.js';

const t = boundTopology(undefined, 7000, 8000);
const addr = (name: string): { host: string; port: number } =>
  t.nodes.find((n) => n.name === name)!;

/** Every sentinel names `majority`; the nodes answer ROLE as given. */
function view(
  majority: string,
  roles: Record<string, 'master' | 'slave'>,
  flags = 'master',
): WatchState {
  let s = initialState(t.sentinels.map((x) => x.name));
  for (const x of t.sentinels)
    s = reduce(s, {
      type: 'poll',
      sentinel: x.name,
      at: 1,
      master: addr(majority),
      tilt: false,
      failoverInProgress: flags.includes('failover_in_progress'),
    });
  for (const [name, role] of Object.entries(roles))
    s = reduce(s, { type: 'role', node: addr(name), role });
  return s;
}

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

type Roles = Record<string, 'master' | 'slave'>;
const MASTERS: Roles = { redis01: 'master', redis02: 'master' };
/** staleMasters with `oldPrimary` the primary replaced by the last switch. */
function demote(
  oldPrimary: string | undefined,
  majority: string,
  roles: Roles,
  flags?: string,
): string | undefined {
  const s = view(majority, roles, flags);
  return staleMasters(s, analyze(s), t.nodes, new Set(oldPrimary ? [oldPrimary] : []))[0];
}

test('after a switch, the old primary still saying master is demoted at once', () => {
  assert.equal(demote('redis01', 'redis02', MASTERS), 'redis01');
});

test('never demote during a failover, before the majority agrees, or a node already a replica', () => {
  assert.equal(demote('redis01', 'redis02', MASTERS, 'master,failover_in_progress'), undefined);
  assert.equal(demote('redis01', 'redis01', MASTERS), undefined);
  assert.equal(demote('redis01', 'redis02', { redis01: 'slave', redis02: 'master' }), undefined);
  assert.equal(demote(undefined, 'redis02', MASTERS), undefined);
  assert.equal(demote('redis01', 'redis02', { redis01: 'master', redis02: 'slave' }), undefined);
});

test('a full sync waits behind a snapshot only while a replica waits for a BGSAVE', () => {
  const waiting = [{ ip: '127.0.0.1', port: 1, state: 'wait_bgsave', offset: 0 }];
  const online = [{ ip: '127.0.0.1', port: 1, state: 'online', offset: 9 }];
  assert.equal(syncWaitsForSnapshot({ snapshotInProgress: true, acks: waiting }), true);
  assert.equal(syncWaitsForSnapshot({ snapshotInProgress: false, acks: waiting }), false);
  assert.equal(syncWaitsForSnapshot({ snapshotInProgress: true, acks: online }), false);
  assert.equal(syncWaitsForSnapshot({ snapshotInProgress: true, acks: undefined }), false);
});

test('a replica not confirmed synced but at or past the dead primary RDB offset, same history: promoted rather than thrown away', () => {
  const saved = { replid: 'a'.repeat(40), offset: 1000 };
  const info = (o: Record<string, string>): Record<string, string> => ({
    role: 'slave',
    master_sync_in_progress: '0',
    master_host: '127.0.0.1',
    master_port: '7000',
    master_replid: saved.replid,
    master_repl_offset: '1000',
    ...o,
  });
  const replicas = [
    { name: 'at', info: info({}) },
    { name: 'past', info: info({ master_repl_offset: '5000' }) },
    { name: 'behind', info: info({ master_repl_offset: '999' }) },
    { name: 'other-history', info: info({ master_replid: 'b'.repeat(40) }) },
    { name: 'syncing', info: info({ master_sync_in_progress: '1' }) },
    { name: 'a-master', info: info({ role: 'master' }) },
    { name: 'no-answer', info: undefined },
    { name: 'of-another', info: info({ master_port: '7001' }) },
  ];
  const dead = { host: '127.0.0.1', port: 7000 };
  assert.deepEqual(replicasAheadOfFiles('rdb', saved, dead, replicas), ['at', 'past']);
  assert.deepEqual(
    replicasAheadOfFiles('rdb', undefined, dead, replicas),
    ['at', 'past', 'behind', 'other-history'],
    'no RDB (or none with a history): any loaded replica of it synced after it',
  );
  assert.deepEqual(replicasAheadOfFiles('rdb+aof', saved, dead, replicas), [], 'an AOF keeps more');
  assert.deepEqual(replicasAheadOfFiles('none', saved, dead, replicas), []);
});
