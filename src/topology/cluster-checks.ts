import { didYouMean } from '../util/did-you-mean.js';
import type { Finding } from './checks.js';
import type { ParsedClusterTopology } from './cluster-schema.js';
import type { ExpandedMember, ExpandedShard } from './cluster-model.js';

/** Redis Cluster refuses fewer (redis-cli: "requires at least 3 master nodes"). */
export const MIN_PRIMARIES = 3;

/** Cross-field rules of a cluster topology. Pure: errors stop validation, warnings print. */
export function clusterFindings(
  t: ParsedClusterTopology,
  shards: readonly ExpandedShard[],
): { errors: Finding[]; warnings: string[] } {
  const errors: Finding[] = [];
  const warnings: string[] = [];
  const c = t.cluster;
  const generated = typeof c.shards === 'number';
  if (shards.length < MIN_PRIMARIES)
    errors.push({
      path: 'cluster.shards',
      message: `expected at least ${MIN_PRIMARIES} shards (primaries), found ${shards.length}: failures are detected and replicas elected by a majority of primaries, so with fewer one failure stops the whole cluster`,
    });
  if (!generated && c.replicasPerShard !== undefined)
    errors.push({
      path: 'cluster.replicasPerShard',
      message: 'applies to `shards: N` only; list the replicas of each shard instead',
    });
  if (!generated && c.hosts !== undefined)
    errors.push({
      path: 'cluster.hosts',
      message: 'applies to `shards: N` only; give each member its `host` instead',
    });
  const members = shards.flatMap((s) => s.members);
  errors.push(...nameFindings(shards), ...hostFindings(t, members), ...portFindings(t, members));
  if (t.hosts) errors.push(...sameHostFindings(shards));
  const majority = primaryMajority(t, shards);
  if (majority) warnings.push(majority);
  const bare = shards.filter((s) => s.members.length === 1).map((s) => s.name);
  if (bare.length > 0)
    warnings.push(
      `no replica in ${bare.join(', ')}: a shard whose primary fails stays down (its slots unserved) until that primary returns`,
    );
  return { errors, warnings };
}

/** Shard names are unique among shards, member names among members (state dirs, logs). */
function nameFindings(shards: readonly ExpandedShard[]): Finding[] {
  const errors: Finding[] = [];
  const unique = (items: { name: string; path: string }[], what: string): void => {
    const seen = new Map<string, string>();
    for (const x of items) {
      const other = seen.get(x.name);
      if (other)
        errors.push({
          path: `${x.path}.name`,
          message: `"${x.name}" is already the name of ${what} ${other}; names must be unique`,
        });
      else seen.set(x.name, x.path);
    }
  };
  unique([...shards], 'shard');
  unique(
    shards.flatMap((s) => s.members),
    'member',
  );
  return errors;
}

/** With `hosts`, every member (and `cluster.hosts` entry) names one of them. */
function hostFindings(t: ParsedClusterTopology, members: readonly ExpandedMember[]): Finding[] {
  if (!t.hosts) return [];
  const names = Object.keys(t.hosts);
  const bad = (h: string): string =>
    `"${h}" is not a host of \`hosts\` (${names.join(', ')})${suggest(h, names)}`;
  if (typeof t.cluster.shards === 'number')
    return (t.cluster.hosts ?? [])
      .map((h, i) => ({ h, i }))
      .filter(({ h }) => !(h in (t.hosts ?? {})))
      .map(({ h, i }) => ({ path: `cluster.hosts.${i}`, message: bad(h) }));
  return members
    .filter((m) => !(m.host in (t.hosts ?? {})))
    .map((m) => ({ path: `${m.path}.host`, message: bad(m.host) }));
}

/** A shard's replica on its primary's host dies with it: error when hosts are declared. */
function sameHostFindings(shards: readonly ExpandedShard[]): Finding[] {
  const errors: Finding[] = [];
  for (const s of shards) {
    const [primary, ...replicas] = s.members;
    for (const r of replicas)
      if (primary && r.host === primary.host)
        errors.push({
          path: r.path === 'cluster.shards' ? 'cluster.hosts' : `${r.path}.host`,
          message: `${r.name} runs on host "${r.host}" like its shard's primary ${primary.name}: losing that host would lose the whole shard ${s.name}; put the replicas of a shard on other hosts`,
        });
  }
  return errors;
}

/**
 * One host holding a majority of the primaries takes the cluster's failure detection with it: the
 * survivors cannot mark its primaries failed or elect their replicas. Avoidable when spreading
 * them over the declared hosts leaves every host at most half.
 */
function primaryMajority(
  t: ParsedClusterTopology,
  shards: readonly ExpandedShard[],
): string | undefined {
  const primaries = shards.flatMap((s) => s.members.slice(0, 1));
  const counts = new Map<string, number>();
  for (const p of primaries) counts.set(p.host, (counts.get(p.host) ?? 0) + 1);
  const hostCount = Math.max(counts.size, Object.keys(t.hosts ?? {}).length);
  if (hostCount < 2) return undefined;
  const half = Math.floor(primaries.length / 2);
  const [host, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  if (n <= half || Math.ceil(primaries.length / hostCount) > half) return undefined;
  return `host "${host}" runs ${n} of the ${primaries.length} primaries, a majority: if it fails, the others cannot elect replicas for them; spread the primaries over the ${hostCount} hosts`;
}

/** Data and bus ports of members with explicit ports: in range and distinct per address. */
function portFindings(t: ParsedClusterTopology, members: readonly ExpandedMember[]): Finding[] {
  const errors: Finding[] = [];
  const seen = new Map<string, string>();
  const claim = (addr: string, port: number, keyPath: string, what: string): void => {
    const key = `${addr}:${port}`;
    const other = seen.get(key);
    if (other) errors.push({ path: keyPath, message: `${key} is already used by ${other}` });
    else seen.set(key, what);
  };
  for (const m of members) {
    const addr = t.hosts?.[m.host]?.address ?? m.host;
    const generated = m.path === 'cluster.shards';
    if (m.port !== 'auto') claim(addr, m.port, `${m.path}.port`, `${m.path} (port)`);
    if (typeof m.busPort === 'number' && m.busPort > 65535)
      errors.push({
        path: `${m.path}.port`,
        message: `port ${String(m.port)} leaves no default bus port (port + 10000 > 65535); use a lower port or set busPort`,
      });
    else if (m.busPort !== 'auto' && !generated)
      claim(addr, m.busPort, `${m.path}.busPort`, `${m.path} (bus port)`);
  }
  return errors;
}

function suggest(word: string, options: readonly string[]): string {
  const s = didYouMean(word, options);
  return s ? `; did you mean "${s}"?` : '';
}
