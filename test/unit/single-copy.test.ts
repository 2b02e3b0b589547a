import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeQuorum } from '../../src/controller/decisions.js';
import { buildSnapshot } from '../../src/dashboard/view.js';
import { buildMetrics, scrapedSingleCopy, type ScrapeData } from '../../src/metrics/ha-metrics.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { analyzeHealth } from '../../src/view/health.js';
import { boundTopology } from '../helpers/bound.js';

const t = boundTopology(undefined, 7000, 8000);
const [r1, r2] = t.nodes;

function scrape(quorumEnforced: boolean, singleCopySince?: number): ScrapeData {
  const info = (role: string): Record<string, string> => ({
    role,
    run_id: role,
    ...(role === 'master' && quorumEnforced ? { min_slaves_good_slaves: '0' } : {}),
  });
  return {
    at: 10_000,
    nodes: [
      { name: 'redis01', info: info('master') },
      { name: 'redis02', info: info('slave') },
    ],
    sentinels: t.sentinels.map((s) => ({
      name: s.name,
      replies: {
        info: { sentinel_tilt: '0' },
        master: { name: t.masterName, ip: r1!.host, port: String(r1!.port) },
        replicas: [],
        sentinels: [],
        ckquorumOk: true,
      },
    })),
    endpoints: [],
    failovers: { count: 0, inProgress: false },
    singleCopySince,
  };
}

test('single copy: a primary enforcing no write quorum the topology asks for, everywhere', () => {
  assert.equal(scrapedSingleCopy(t, scrape(true)), false);
  assert.equal(scrapedSingleCopy(t, scrape(false)), true);
  const m = buildMetrics(t, scrape(false, 4_000)).render();
  assert.match(m, /^redis_ha_single_copy_seconds 6$/m);
  assert.match(buildMetrics(t, scrape(true)).render(), /^redis_ha_single_copy_seconds 0$/m);
  const snap = buildSnapshot(t, scrape(false, 4_000));
  assert.equal(snap.singleCopySeconds, 6);
  assert.equal(snap.healthy, false);
  const obs = {
    at: 0,
    nodes: [
      {
        name: 'redis01',
        reachable: true,
        role: 'master' as const,
        offset: 0,
        quorumEnforced: false,
      },
    ],
    sentinels: t.sentinels.map((s) => ({
      name: s.name,
      reachable: true,
      masterHost: r1!.host,
      masterPort: r1!.port,
    })),
  };
  assert.ok(analyzeHealth(t, obs).problems.some((p) => /^single copy: primary redis01/.test(p)));
  // Asked for none: never single copy.
  const none = boundTopology({ ...SEED_TOPOLOGY, replication: { minReplicasToWrite: 0 } });
  assert.equal(scrapedSingleCopy(none, scrape(false)), false);
});

test('the write quorum follows the replicas able to confirm writes, never above the topology', () => {
  const acks = (state: string, lag: number) => ({
    name: 'redis01',
    acks: [{ ip: r2!.host, port: r2!.port, state, offset: 10, lag }],
  });
  const synced = () => true;
  assert.equal(writeQuorum(t, acks('online', 0), synced), 1);
  assert.equal(writeQuorum(t, acks('online', 9), synced), 0, 'lagging beyond max-lag');
  assert.equal(writeQuorum(t, acks('wait_bgsave', 0), synced), 0, 'resyncing');
  assert.equal(
    writeQuorum(t, acks('online', 0), () => false),
    0,
    'not synced (strict rule)',
  );
  assert.equal(writeQuorum(t, undefined, synced), 0, 'just promoted');
  const strict = boundTopology({ ...SEED_TOPOLOGY, replication: { singleCopyWrites: false } });
  assert.equal(writeQuorum(strict, undefined, synced), 1, 'singleCopyWrites: false');
});
