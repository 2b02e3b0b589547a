import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView, ShardView } from '../../src/cluster/analyze.js';
import { pickShardTarget } from '../../src/ops/cluster-switchover.js';

const member = (name: string, o: Partial<MemberView>): MemberView =>
  ({
    name,
    shard: 's1',
    role: 'replica',
    following: 'a',
    offset: 100,
    synced: true,
    ...o,
  }) as MemberView;

const shard = (members: readonly MemberView[], o: Partial<ShardView> = {}): ShardView =>
  ({ name: 's1', primary: 'a', primaryConfirmed: true, members, ...o }) as ShardView;

test('switchover --shard: the synced replica furthest ahead; --to only a synced replica of that shard; a typo gets a suggestion', () => {
  const s = shard([
    member('a', { role: 'primary', following: undefined }),
    member('b', { offset: 90 }),
    member('c', { offset: 120 }),
    member('d', { offset: 500, synced: false }),
  ]);
  assert.deepEqual(pickShardTarget([s], 's1', undefined), { from: 'a', to: 'c' });
  assert.deepEqual(pickShardTarget([s], 's1', 'b'), { from: 'a', to: 'b' });
  assert.throws(() => pickShardTarget([s], 's1', 'd'), /d: no synced replica to promote/);
  assert.throws(() => pickShardTarget([s], 's1', 'a'), /a is not a replica of a in s1/);
  assert.throws(
    () => pickShardTarget([s], 's2', undefined),
    (e: Error & { hint?: string }) => {
      assert.match(e.message, /no shard "s2"/);
      assert.equal(e.hint, 'did you mean "s1"?');
      return true;
    },
  );
  assert.throws(
    () => pickShardTarget([shard(s.members, { primaryConfirmed: false })], 's1', undefined),
    /s1 has no confirmed primary/,
  );
  assert.throws(
    () => pickShardTarget([shard([member('b', { synced: false })])], 's1', undefined),
    /s1: no synced replica to promote/,
  );
});
