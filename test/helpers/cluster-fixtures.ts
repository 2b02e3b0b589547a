import { readFileSync } from 'node:fs';
import type { NodeSnapshot } from '../../src/cluster/analyze.js';
import { snapshotFromReplies } from '../../src/cluster/replies.js';
import type { ClusterFixture, FixtureNode } from './record-cluster-fixtures.js';

/** Replies recorded from a real 3x1 cluster (record-cluster-fixtures.ts), by state. */
export function readClusterFixture(state: string): ClusterFixture {
  const url = new URL(`../../../test/fixtures/cluster/${state}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as ClusterFixture;
}

/** Each node's snapshot as the view builds it; `nameOf` names the nodes (the topology's names). */
export function fixtureSnapshots(
  f: ClusterFixture,
  nameOf: (n: FixtureNode) => string = (n) => n.name,
): NodeSnapshot[] {
  const at = Date.parse(f.recordedAt);
  return f.nodes.map((n): NodeSnapshot => {
    const m = { name: nameOf(n), host: n.host, port: n.port };
    return n.replies
      ? snapshotFromReplies(m, n.replies, at)
      : { ...m, at, reachable: false, error: n.error };
  });
}
