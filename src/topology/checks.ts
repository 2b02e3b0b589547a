import { majorityNeeded } from './majority.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { ParsedTopology } from './schema.js';

export interface Finding {
  path: string;
  message: string;
}

/** Cross-field rules the schema cannot express. Pure: errors stop validation, warnings print. */
export function semanticFindings(t: ParsedTopology): { errors: Finding[]; warnings: string[] } {
  const errors: Finding[] = [];
  const warnings: string[] = [];
  const nodes = Object.entries(t.nodes);
  const sentinels = Object.entries(t.sentinels);
  const primaries = nodes.filter(([, n]) => n.role === 'primary').map(([k]) => k);
  const replicas = nodes.filter(([, n]) => n.role === 'replica');

  if (primaries.length !== 1) {
    errors.push({
      path: 'nodes',
      message: `expected exactly one node with role "primary", found ${primaries.length}${primaries.length ? ` (${primaries.join(', ')})` : ''}`,
    });
  }
  const sharedNames = nodes.map(([k]) => k).filter((k) => k in t.sentinels);
  for (const k of sharedNames) {
    errors.push({
      path: `sentinels.${k}`,
      message: `name "${k}" is already used by a node; names must be unique`,
    });
  }

  const n = sentinels.length;
  const majority = majorityNeeded(n);
  if (t.quorum > n) {
    errors.push({
      path: 'quorum',
      message: `quorum ${t.quorum} is more than the ${n} sentinel${n === 1 ? '' : 's'} defined; the primary could never be declared down`,
    });
  } else if (t.quorum < majority) {
    warnings.push(
      `quorum ${t.quorum} is below a majority of ${n} sentinels (${majority}): a minority can declare the primary down, though a failover still needs ${majority} sentinels to elect a leader`,
    );
  }
  if (n > 1 && n % 2 === 0) {
    warnings.push(
      `an even number of sentinels (${n}) tolerates no more failures than ${n - 1}; use ${n + 1} or ${n - 1}`,
    );
  }
  if (n === 1) warnings.push('a single sentinel is a single point of failure; the seed uses 3');
  if (replicas.length === 0) warnings.push('no replica: there is nothing to fail over to');
  if (replicas.length > 0 && replicas.every(([, r]) => r.priority === 0)) {
    warnings.push('every replica has priority 0: Sentinel can never promote one');
  }

  const seen = new Map<string, string>();
  const all = [
    ...nodes.map(([k, v]) => [`nodes.${k}`, v] as const),
    ...sentinels.map(([k, v]) => [`sentinels.${k}`, v] as const),
  ];
  for (const [p, m] of all) {
    if (m.port === 'auto') continue;
    const key = `${addressOf(t, m.host)}:${m.port}`;
    const other = seen.get(key);
    if (other) errors.push({ path: `${p}.port`, message: `${key} is already used by ${other}` });
    else seen.set(key, p);
  }

  const r = t.replication;
  if (primaries.length === 1 && r.minReplicasToWrite > replicas.length) {
    errors.push({
      path: 'replication.minReplicasToWrite',
      message: `${r.minReplicasToWrite} is more than the ${replicas.length} replica${replicas.length === 1 ? '' : 's'} defined; the primary would refuse every write`,
    });
  }
  if (r.minReplicasToWrite > 0 && r.minReplicasMaxLag < 1000) {
    errors.push({
      path: 'replication.minReplicasMaxLag',
      message: 'expected at least "1s" (Redis counts lag in whole seconds)',
    });
  }
  const s = t.sentinel;
  // Sentinel retries a failed link at most once per ping period: down-after must leave room for
  // one retry, or one refused connect (a new primary's fresh link) fails it back (seen here).
  const ping = s.pingPeriod === 'default' ? 1000 : s.pingPeriod;
  if (s.downAfter < 1000) {
    warnings.push(
      `sentinel.downAfter ${s.downAfter}ms is below 1s: expect false failovers under load (redis#8607)`,
    );
  } else if (s.downAfter < 1.5 * ping) {
    warnings.push(
      `sentinel.downAfter ${s.downAfter}ms leaves no room for Sentinel's link retry (once per ping period, ${ping}ms): one failed connect marks a healthy node down; use at least ${1.5 * ping}ms`,
    );
  }
  if (s.failoverTimeout < s.downAfter) {
    errors.push({
      path: 'sentinel.failoverTimeout',
      message: `expected at least sentinel.downAfter (${s.downAfter}ms)`,
    });
  }
  const sv = t.supervisor;
  if (sv.restartBackoffMax < sv.restartBackoffMin) {
    errors.push({
      path: 'supervisor.restartBackoffMax',
      message: 'expected at least supervisor.restartBackoffMin',
    });
  }
  errors.push(...hostFindings(t));
  if (t.endpoint.mode === 'vip') {
    if (!t.endpoint.address)
      errors.push({
        path: 'endpoint.address',
        message: 'expected the floating address (vip mode)',
      });
    if (t.endpoint.fenceTimeout >= s.downAfter)
      errors.push({
        path: 'endpoint.fenceTimeout',
        message: `expected less than sentinel.downAfter (${s.downAfter}ms): an isolated primary must drop the address before the majority can promote another node`,
      });
    else if (t.endpoint.fenceTimeout < 500)
      errors.push({
        path: 'endpoint.fenceTimeout',
        message:
          'expected at least "500ms": the agent must hear from the sentinels (polled every 100 ms) within it, or a healthy holder would drop the address',
      });
    const onLoopback = [...nodes, ...sentinels].some(([, m]) =>
      addressOf(t, m.host).startsWith('127.'),
    );
    if (onLoopback)
      warnings.push(
        'endpoint.mode "vip" needs members on separate hosts (`hosts`); `up` starts no endpoint for it (use `redis-ha lab up` or deploy the bundles)',
      );
  }
  return { errors, warnings };
}

/** A member's address: its host's when `host` names one in `hosts`. */
function addressOf(t: ParsedTopology, host: string): string {
  return t.hosts?.[host]?.address ?? host;
}

/** With `hosts`, every member names one of them; addresses are unique per host. */
function hostFindings(t: ParsedTopology): Finding[] {
  if (!t.hosts) return [];
  const errors: Finding[] = [];
  const names = Object.keys(t.hosts);
  const members = [
    ...Object.entries(t.nodes).map(([k, v]) => [`nodes.${k}.host`, v.host] as const),
    ...Object.entries(t.sentinels).map(([k, v]) => [`sentinels.${k}.host`, v.host] as const),
  ];
  for (const [p, h] of members)
    if (!(h in t.hosts))
      errors.push({
        path: p,
        message: `"${h}" is not a host of \`hosts\` (${names.join(', ')})${suggest(h, names)}`,
      });
  const byAddr = new Map<string, string>();
  for (const [n, h] of Object.entries(t.hosts)) {
    const other = byAddr.get(h.address);
    if (other)
      errors.push({ path: `hosts.${n}.address`, message: `${h.address} is already ${other}'s` });
    else byAddr.set(h.address, n);
  }
  return errors;
}

function suggest(word: string, options: readonly string[]): string {
  const s = didYouMean(word, options);
  return s ? `; did you mean "${s}"?` : '';
}
