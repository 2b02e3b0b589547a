import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadDataset } from '../../src/drill/dataset.js';
import { Writer } from '../../src/drill/writer.js';
import type { HaEvent } from '../../src/events/events.js';
import { freePort } from '../../src/state/ports.js';
import { waitStatus, withCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * Loads `bytes` through the endpoint, kills the primary under a writer, checks the blackout and
 * that every acknowledged write ends on both nodes; returns the events and the new primary's
 * INFO (its sync counters).
 */
async function killUnderWriter(
  c: TestCluster,
  ep: number,
  bytes: number,
  beforeKill: () => Promise<unknown> = () => Promise.resolve(),
): Promise<{ events: HaEvent[]; info: string }> {
  const up = await c.run(['up', '--detach']);
  assert.equal(up.code, 0, up.stderr);
  const loader = c.client(ep, 'app');
  await loadDataset(loader, bytes, () => undefined);
  await beforeKill();
  // A client as an application has it: through the endpoint, retrying.
  const client = new Redis({
    host: '127.0.0.1',
    port: ep,
    ...c.auth('app'),
    maxRetriesPerRequest: 0,
    retryStrategy: () => 5,
  });
  client.on('error', () => undefined);
  const w = new Writer(client, 'flat');
  w.start();
  await sleep(300);
  const t0 = performance.now();
  process.kill(c.pidOf('redis01'), 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (!w.acks.some((a) => a.issuedAt >= t0) && Date.now() < deadline) await sleep(10);
  const first = w.acks.find((a) => a.issuedAt >= t0);
  assert.ok(first, 'no write acknowledged after the kill');
  const blackout = first.ackedAt - t0;
  assert.ok(blackout < 1000, `writes came back after ${Math.round(blackout)}ms`);
  await waitStatus(c, (s) => s.healthy && s.primary === 'redis02', 120_000, 'the resync');
  await w.stop();
  client.disconnect();
  // Every acknowledged write on the new primary and on the old one, now its replica. "Synced"
  // allows a little lag: the replica may still be applying the writes buffered during its
  // full sync, so wait until it has acknowledged them all.
  const replicas = await c.client(c.ports.redis02).wait(1, 15_000);
  assert.equal(replicas, 1, 'the old primary acknowledged every write');
  for (const port of [c.ports.redis02, c.ports.redis01]) {
    const r = c.client(port);
    const keys = w.acks.map((a) => w.key(a.seq));
    let missing = 0;
    for (let i = 0; i < keys.length; i += 1000) {
      const vals = await r.mget(keys.slice(i, i + 1000));
      vals.forEach((v, j) => v !== String(w.acks[i + j]?.seq) && missing++);
    }
    assert.equal(missing, 0, `acknowledged writes missing on port ${port}`);
  }
  const events = readFileSync(path.join(c.dir, '.redis-ha/events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HaEvent);
  const info = await c.client(c.ports.redis02).info('stats');
  return { events, info };
}

const singleCopyEnd = (events: HaEvent[]): HaEvent | undefined =>
  events.find((e) => e.kind === 'single-copy' && e.data?.singleCopy === false);
const stat = (info: string, key: string): number =>
  Number(new RegExp(`^${key}:(\\d+)`, 'm').exec(info)?.[1]);

test('kill -9 with a dataset whose full resync takes over a second: writes back through the endpoint in under 1 s, nothing lost, the old primary rejoins with every key', async () => {
  const ep = await freePort();
  await withCluster('flat-failover', { extra: endpointAnd2gb(ep) }, async (c) => {
    // No RDB since the load (the seed's save point is 60 s): the old primary resyncs whole.
    const { events, info } = await killUnderWriter(c, ep, 400 * 2 ** 20);
    // The window in which writes were on redis02 alone is reported, and was the full resync.
    const end = singleCopyEnd(events);
    assert.ok(end, 'the end of the single-copy window is reported');
    assert.ok(
      Number(end.data?.durationMs) > 1000,
      `single copy for ${String(end.data?.durationMs)}ms`,
    );
    assert.equal(stat(info, 'sync_full'), 1, info);
  });
});

test('kill -9 after a save point: the old primary restarts from its RDB and resyncs partially (no fork, no full transfer on the new primary)', async () => {
  const ep = await freePort();
  await withCluster('flat-partial', { extra: endpointAnd2gb(ep) }, async (c) => {
    // Its save point ran after the load: its RDB and the writes since, in redis02's backlog.
    const { events, info } = await killUnderWriter(c, ep, 100 * 2 ** 20, () =>
      c.client(c.ports.redis01).save(),
    );
    assert.equal(stat(info, 'sync_full'), 0, info);
    assert.ok(stat(info, 'sync_partial_ok') >= 1, info);
    assert.ok(
      events.some((e) => e.member === 'redis01' && /resyncs partially/.test(e.message)),
      'the rejoin says it keeps its files',
    );
    assert.ok(singleCopyEnd(events), 'the end of the single-copy window is reported');
  });
});

function endpointAnd2gb(ep: number): string {
  return [
    `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }`,
    'memory: { maxmemory: 2gb }',
  ].join('\n');
}
