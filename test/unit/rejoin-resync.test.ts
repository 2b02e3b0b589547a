import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseSavedReplication, readSavedReplication } from '../../src/backends/rdb-header.js';
import { resyncsPartially } from '../../src/controller/decisions.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/rdb/${name}`, import.meta.url));

test('the replication history of an RDB saved by redis-server 7.0 is read from its head', () => {
  assert.deepEqual(readSavedReplication(fixture('with-history.rdb')), {
    replid: '3657064a10505474ff64b9d8c1a442c7fe963285',
    offset: 50,
  });
  // A primary no replica ever attached to saves no history; a missing file or garbage: none.
  assert.equal(readSavedReplication(fixture('no-history.rdb')), undefined);
  assert.equal(readSavedReplication(fixture('absent.rdb')), undefined);
  assert.equal(parseSavedReplication(Buffer.from('not an rdb file at all')), undefined);
  assert.equal(parseSavedReplication(Buffer.from('REDIS0010\xfa\x09redis', 'latin1')), undefined);
});

const replid = 'a'.repeat(40);
const promoted = {
  master_replid: 'b'.repeat(40),
  master_replid2: replid,
  second_repl_offset: '5001',
  repl_backlog_active: '1',
  repl_backlog_first_byte_offset: '1000',
  repl_backlog_histlen: '9000',
};

test('an old primary resyncs partially only from its own history, still in the backlog', () => {
  assert.equal(resyncsPartially({ replid, offset: 4000 }, promoted), true);
  // The offset the promoted node took over at, exactly: nothing missing from that history.
  assert.equal(resyncsPartially({ replid, offset: 5000 }, promoted), true);
  // It saved writes the promoted node never received: that history diverged.
  assert.equal(resyncsPartially({ replid, offset: 5001 }, promoted), false);
  // Older than the backlog holds.
  assert.equal(resyncsPartially({ replid, offset: 998 }, promoted), false);
  assert.equal(resyncsPartially({ replid: 'c'.repeat(40), offset: 4000 }, promoted), false);
  assert.equal(resyncsPartially(undefined, promoted), false);
  assert.equal(
    resyncsPartially({ replid, offset: 4000 }, { ...promoted, repl_backlog_active: '0' }),
    false,
  );
  // The current history of the primary (a replica restarted under the same primary).
  assert.equal(resyncsPartially({ replid: 'b'.repeat(40), offset: 8000 }, promoted), true);
});
