/**
 * Records test/fixtures/cluster/*.json from a real 3x1 cluster (run by hand after a build:
 * `node dist/test/helpers/record-cluster-fixtures.js`): every node's CLUSTER NODES / SHARDS / INFO
 * and INFO replication in six states: healthy; shard1's primary killed (pfail, then fail); after
 * the failover; the old primary back and syncing (its new primary's diskless delay raised to 5 s
 * so the sync can be seen); and healthy again. Free ports, a temp dir, every server stopped by PID.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { analyzeCluster, type ClusterView } from '../../src/cluster/analyze.js';
import { readReplies, snapshotFromReplies, type RawReplies } from '../../src/cluster/snapshot.js';
import { startCluster } from '../../src/cluster/start.js';
import { createClient } from '../../src/redis/client.js';
import { credentials } from '../../src/state/credentials.js';
import { Child } from '../../src/backends/child.js';
import { findRedis } from '../../src/backends/redis-bin.js';
import { loadTopology } from '../../src/topology/load.js';
import { clusterNodes, type BoundTopology } from '../../src/topology/model.js';
import type { Secrets } from '../../src/state/secrets.js';
import { writeClusterTopology } from './cluster-topology.js';

export interface FixtureNode {
  name: string;
  host: string;
  port: number;
  replies?: RawReplies | undefined;
  error?: string | undefined;
}

export interface ClusterFixture {
  state: string;
  note: string;
  recordedAt: string;
  redis: string;
  shards: { name: string; primary: string; replicas: string[] }[];
  nodes: FixtureNode[];
}

async function look(t: BoundTopology, secrets: Secrets): Promise<FixtureNode[]> {
  return Promise.all(
    clusterNodes(t).map(async (n) => {
      const c = createClient(n, { ...credentials(t, secrets, 'admin'), timeoutMs: 500 });
      try {
        await c.connect();
        return { name: n.name, host: n.host, port: n.port, replies: await readReplies(c) };
      } catch (e) {
        return { name: n.name, host: n.host, port: n.port, error: (e as Error).message };
      } finally {
        c.disconnect();
      }
    }),
  );
}

function analyse(t: BoundTopology, nodes: FixtureNode[]): ClusterView {
  const snaps = nodes.map((n) =>
    n.replies
      ? snapshotFromReplies(n, n.replies, Date.now())
      : { ...n, at: Date.now(), reachable: false, error: n.error },
  );
  return analyzeCluster(t.cluster?.shards ?? [], snaps);
}

/** Looks every 100 ms until `pred` holds on the analysis; bounded. */
async function until(
  t: BoundTopology,
  secrets: Secrets,
  what: string,
  pred: (v: ClusterView) => boolean,
  timeoutMs = 30_000,
): Promise<FixtureNode[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const nodes = await look(t, secrets);
    if (pred(analyse(t, nodes))) return nodes;
    await sleep(100);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

const shard1 = (v: ClusterView) => v.shards[0];
const member = (v: ClusterView, name: string) => shard1(v)?.members.find((m) => m.name === name);

async function main(): Promise<void> {
  const out = path.resolve(
    path.dirname(new URL(import.meta.url).pathname),
    '../../../test/fixtures/cluster',
  );
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-fixtures-'));
  const { file } = await writeClusterTopology(dir);
  const run = await startCluster(loadTopology({ file }), { progress: (l) => console.error(l) });
  const { t, secrets } = run;
  const version = (await findRedis()).version;
  let restarted: Child | undefined;
  const save = (state: string, note: string, nodes: FixtureNode[]): void => {
    const f: ClusterFixture = {
      state,
      note,
      recordedAt: new Date().toISOString(),
      redis: version,
      shards: (t.cluster?.shards ?? []).map((s) => ({ ...s, replicas: [...s.replicas] })),
      nodes,
    };
    writeFileSync(path.join(out, `${state}.json`), JSON.stringify(f, null, 1) + '\n');
    console.error(`recorded ${state}`);
  };
  try {
    const app = credentials(t, secrets, 'app');
    const writer = new Cluster([{ host: t.nodes[0]?.host ?? '', port: t.nodes[0]?.port ?? 0 }], {
      redisOptions: { username: app.username, password: app.password, enableReadyCheck: false },
    });
    for (let i = 0; i < 300; i++) await writer.set(`key:${i}`, `value ${i}`);
    writer.disconnect();
    save(
      'healthy',
      'formed by redis-ha, 300 keys written through ioredis Cluster',
      await until(t, secrets, 'healthy', (v) => v.healthy),
    );
    const pid = Number(readFileSync(run.dir.childPidFile('shard1-1'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    save(
      'primary-pfail',
      'shard1-1 killed (SIGKILL): peers flag it pfail, no FAIL yet',
      await until(
        t,
        secrets,
        'pfail',
        (v) => (member(v, 'shard1-1')?.pfailBy ?? 0) > 0 && member(v, 'shard1-1')?.failBy === 0,
      ),
    );
    save(
      'primary-fail',
      'shard1-1 marked FAIL, shard1-2 not yet promoted',
      await until(
        t,
        secrets,
        'fail',
        (v) => (member(v, 'shard1-1')?.failBy ?? 0) > 0 && shard1(v)?.primary === 'shard1-1',
      ),
    );
    save(
      'after-failover',
      'shard1-2 promoted by the cluster; shard1-1 still dead',
      await until(
        t,
        secrets,
        'failover',
        (v) =>
          shard1(v)?.primary === 'shard1-2' &&
          shard1(v)?.primaryConfirmed === true &&
          v.slotMap.agreed,
      ),
    );
    const promoted = clusterNodes(t).find((n) => n.name === 'shard1-2');
    const p = createClient(promoted ?? { host: '', port: 0 }, {
      ...credentials(t, secrets, 'admin'),
    });
    await p.connect();
    await p.config('SET', 'repl-diskless-sync-delay', '5');
    const bins = await findRedis();
    restarted = new Child({
      name: 'shard1-1',
      kind: 'node',
      binary: bins.server,
      args: [run.dir.configFile('node', 'shard1-1')],
      cwd: run.dir.memberDir('node', 'shard1-1'),
      pidFile: run.dir.childPidFile('shard1-1'),
      outputFile: path.join(run.dir.memberDir('node', 'shard1-1'), 'stdout.log'),
    });
    save(
      'replica-syncing',
      'shard1-1 restarted with its nodes.conf: demoted to replica of shard1-2 at once, its full sync waiting (the primary lists it wait_bgsave: diskless delay 5 s)',
      await until(
        t,
        secrets,
        'syncing',
        (v) => member(v, 'shard1-1')?.role === 'replica' && member(v, 'shard1-1')?.syncing === true,
      ),
    );
    await p.config('SET', 'repl-diskless-sync-delay', '0');
    p.disconnect();
    save(
      'rejoined',
      'shard1-1 synced as replica of shard1-2: healthy again, roles swapped',
      await until(t, secrets, 'rejoined', (v) => v.healthy),
    );
  } finally {
    await restarted?.stop(5000);
    await run.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
