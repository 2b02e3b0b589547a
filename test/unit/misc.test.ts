import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDuration, parseSize } from '../../src/util/units.js';
import { didYouMean } from '../../src/util/did-you-mean.js';
import { redact, registerSecret } from '../../src/util/redact.js';
import { concernsMaster } from '../../src/view/sentinel-message.js';
import { isSupportedVersion } from '../../src/backends/redis-bin.js';
import { parseInfo, parseVersion, pairsToRecord } from '../../src/redis/info.js';
import { isEligible } from '../../src/ops/failover.js';
import { exitCodeFor, RedisHaError } from '../../src/errors/errors.js';
import { renderDefaultsTable } from '../../src/topology/docs.js';

test('durations and sizes', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('2 seconds'), undefined);
  assert.equal(parseSize('512mb'), 512 * 1024 * 1024);
  assert.equal(parseSize('8GB'), 8 * 1024 ** 3);
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('lots'), undefined);
});

test('did you mean', () => {
  assert.equal(didYouMean('qorum', ['quorum', 'nodes']), 'quorum');
  assert.equal(didYouMean('downafter', ['downAfter', 'failoverTimeout']), 'downAfter');
  assert.equal(didYouMean('colour', ['quorum', 'nodes']), undefined);
});

test('secrets are redacted from any text, URLs and AUTH lines included', () => {
  registerSecret('S3cretS3cretS3cret');
  assert.equal(redact('password is S3cretS3cretS3cret!'), 'password is ***!');
  assert.equal(redact('redis://app:hunter2hunter2@host:6379'), 'redis://app:***@host:6379');
  assert.equal(redact('requirepass "abc def"'), 'requirepass ***');
  assert.equal(redact('AUTH xyz'), 'AUTH ***');
});

test('sentinel events are filtered by master name', () => {
  assert.ok(concernsMaster('master mymaster 127.0.0.1 6379 #quorum 2/2', 'mymaster'));
  assert.ok(
    concernsMaster('slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379', 'mymaster'),
  );
  assert.ok(concernsMaster('mymaster 127.0.0.1 6379 127.0.0.1 6380', 'mymaster'));
  assert.ok(
    !concernsMaster('slave 127.0.0.1:6380 127.0.0.1 6380 @ other 127.0.0.1 6379', 'mymaster'),
  );
  assert.ok(!concernsMaster('master other 127.0.0.1 6379', 'mymaster'));
});

test('Redis versions: 6.2+ supported, older refused', () => {
  assert.deepEqual(
    parseVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0'),
    [7, 0, 15],
  );
  assert.ok(isSupportedVersion([7, 0, 15]));
  assert.ok(isSupportedVersion([6, 2, 0]));
  assert.ok(!isSupportedVersion([6, 0, 16]));
  assert.ok(!isSupportedVersion([5, 0, 7]));
});

test('INFO and sentinel replies parse', () => {
  const info = parseInfo('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n\r\n');
  assert.equal(info.role, 'slave');
  assert.equal(info.master_link_status, 'up');
  assert.deepEqual(pairsToRecord(['ip', '127.0.0.1', 'port', '6379']), {
    ip: '127.0.0.1',
    port: '6379',
  });
});

test('a replica is a promotion candidate only with priority > 0, link ok, not down', () => {
  assert.ok(isEligible({ flags: 'slave', 'slave-priority': '100', 'master-link-status': 'ok' }));
  assert.ok(!isEligible({ flags: 'slave', 'slave-priority': '0', 'master-link-status': 'ok' }));
  assert.ok(
    !isEligible({ flags: 'slave,s_down', 'slave-priority': '100', 'master-link-status': 'ok' }),
  );
  assert.ok(!isEligible({ flags: 'slave', 'slave-priority': '100', 'master-link-status': 'err' }));
});

test('error codes map to stable exit codes', () => {
  assert.equal(exitCodeFor('USAGE'), 2);
  assert.equal(exitCodeFor('TOPOLOGY_INVALID'), 3);
  assert.equal(exitCodeFor('REDIS_MISSING'), 4);
  assert.equal(exitCodeFor('ALREADY_RUNNING'), 5);
  const e = new RedisHaError('TIMEOUT', 'x', { hint: 'h', cause: new Error('c') });
  assert.equal(e.hint, 'h');
  assert.ok(e.cause instanceof Error);
});

test('docs/topology.md carries the defaults table generated from the code', () => {
  const doc = readFileSync(new URL('../../../docs/topology.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(renderDefaultsTable()), 'docs/topology.md is stale: run `npm run docs`');
});
