import { redisErrorText, withClient } from '../redis/client.js';
import { num, pairsToRecord, parseInfo, parseReplicaAcks } from '../redis/info.js';
import { ready, type Links } from './links.js';
import type { NodeSpec } from '../topology/model.js';
import type { NodeObs, Observation, SentinelObs } from './observation.js';
import type { ReplicaLink, WatchInput } from './watch-state.js';

export async function observeNode(links: Links, name: string): Promise<NodeObs> {
  const node = links.topology.nodes.find((n) => n.name === name);
  if (!node) return { name, reachable: false, error: 'not in topology', offset: 0 };
  try {
    const c = links.get(node);
    if (c.status !== 'ready') await ready(c);
    const info = parseInfo(await c.info());
    const role = info.role === 'slave' ? 'slave' : 'master';
    const keys = /keys=(\d+)/.exec(info.db0 ?? '')?.[1];
    return {
      name,
      reachable: true,
      runId: info.run_id,
      role,
      loading: info.loading === '1',
      masterHost: info.master_host,
      masterPort: info.master_port === undefined ? undefined : Number(info.master_port),
      linkUp: role === 'slave' ? info.master_link_status === 'up' : undefined,
      syncInProgress: info.master_sync_in_progress === '1',
      syncTotalBytes:
        info.master_sync_total_bytes === undefined
          ? undefined
          : num(info, 'master_sync_total_bytes'),
      syncReadBytes:
        info.master_sync_read_bytes === undefined ? undefined : num(info, 'master_sync_read_bytes'),
      offset: role === 'slave' ? num(info, 'slave_repl_offset') : num(info, 'master_repl_offset'),
      connectedReplicas: num(info, 'connected_slaves'),
      priority: info.slave_priority === undefined ? undefined : num(info, 'slave_priority'),
      keys: keys === undefined ? 0 : Number(keys),
      acks: role === 'master' ? parseReplicaAcks(info) : undefined,
      snapshotInProgress: info.rdb_bgsave_in_progress === '1',
      quorumEnforced: role === 'master' ? info.min_slaves_good_slaves !== undefined : undefined,
    };
  } catch (e) {
    links.unanswered(name, e);
    return { name, reachable: false, error: redisErrorText(e), offset: 0 };
  }
}

export async function observeSentinel(links: Links, name: string): Promise<SentinelObs> {
  const s = links.topology.sentinels.find((x) => x.name === name);
  if (!s) return { name, reachable: false, error: 'not in topology' };
  const master = links.topology.masterName;
  try {
    const c = links.get(s);
    if (c.status !== 'ready') await ready(c);
    const [m, info] = await Promise.all([
      c.call('SENTINEL', 'MASTER', master).then(pairsToRecord),
      c.info('sentinel').then(parseInfo),
    ]);
    let quorumOk = false;
    let quorumText: string;
    try {
      quorumText = String(await c.call('SENTINEL', 'CKQUORUM', master));
      quorumOk = true;
    } catch (e) {
      quorumText = redisErrorText(e);
    }
    return {
      name,
      reachable: true,
      masterHost: m.ip,
      masterPort: m.port === undefined ? undefined : Number(m.port),
      masterFlags: m.flags,
      numReplicas: num(m, 'num-slaves'),
      numOtherSentinels: num(m, 'num-other-sentinels'),
      quorumOk,
      quorumText,
      tilt: info.sentinel_tilt === '1',
    };
  } catch (e) {
    return { name, reachable: false, error: redisErrorText(e) };
  }
}

export async function observe(
  links: Links,
  only?: { nodes?: boolean; sentinels?: boolean },
): Promise<Observation> {
  const t = links.topology;
  const at = Date.now();
  // Primary-side offsets must be read no later than replica offsets for "caught up" to be sound.
  let nodes =
    only?.nodes === false ? [] : await Promise.all(t.nodes.map((n) => observeNode(links, n.name)));
  const replicas = nodes.filter((n) => n.role === 'slave').map((n) => n.name);
  if (replicas.length > 0) {
    const again = new Map(
      (await Promise.all(replicas.map((r) => observeNode(links, r)))).map((o) => [o.name, o]),
    );
    nodes = nodes.map((n) => again.get(n.name) ?? n);
  }
  const sentinels =
    only?.sentinels === false
      ? []
      : await Promise.all(t.sentinels.map((s) => observeSentinel(links, s.name)));
  return { at, nodes, sentinels };
}

/** A sentinel's view for the fast loop: whom it names, TILT, a failover under way, the epoch. */
export async function pollSentinel(links: Links, name: string): Promise<WatchInput> {
  const s = links.topology.sentinels.find((x) => x.name === name);
  const at = Date.now();
  try {
    const c = s && links.get(s);
    if (!c || c.status !== 'ready') throw new Error('not connected');
    const [m, info] = await Promise.all([
      c.call('SENTINEL', 'MASTER', links.topology.masterName).then(pairsToRecord),
      c.info('sentinel').then(parseInfo),
    ]);
    const master = m.ip && m.port ? { host: m.ip, port: Number(m.port) } : undefined;
    return {
      type: 'poll',
      sentinel: name,
      at,
      master,
      tilt: info.sentinel_tilt === '1',
      failoverInProgress: (m.flags ?? '').includes('failover_in_progress'),
      epoch: m['config-epoch'] === undefined ? undefined : Number(m['config-epoch']),
    };
  } catch {
    return { type: 'unreachable', sentinel: name, at };
  }
}

/** A node's ROLE for the fast loop, and what it says of its replication link. */
export async function pollRole(
  links: Links,
  n: NodeSpec<number>,
  fresh = false,
): Promise<{ input: WatchInput; link?: ReplicaLink; replicas?: number }> {
  const c = links.get(n);
  try {
    // Sentinel's CLIENT KILL on the node it promotes cuts our connection at the very moment
    // that matters: ask on a one-shot connection while the persistent one reconnects (or, with
    // a fork child holding its socket, never hears of the kill: see Links.unanswered).
    const once = (): Promise<unknown> =>
      withClient(n, { ...links.nodeAuth(), timeoutMs: 300 }, (x) => x.call('ROLE'));
    // A one-shot connection closed under us (that kill, as it lands) is asked again at once:
    // not an "unknown" that drops the node's confirmation for a round.
    const r = (
      c.status === 'ready' && !fresh
        ? await c.call('ROLE')
        : await once().catch((e: unknown) => {
            if (isClosed(e)) return once();
            throw e;
          })
    ) as unknown[];
    const link: ReplicaLink =
      r[0] === 'slave'
        ? { following: { host: String(r[1]), port: Number(r[2]) }, up: r[3] === 'connected' }
        : { up: false };
    const role = r[0] === 'master' ? 'master' : r[0] === 'slave' ? 'slave' : 'unknown';
    // A primary lists its online replicas with their ACK offsets.
    const replicas = role === 'master' && Array.isArray(r[2]) ? r[2].length : undefined;
    return { input: { type: 'role', node: n, role }, link, replicas };
  } catch (e) {
    links.unanswered(n.name, e);
    return { input: { type: 'role', node: n, role: 'unknown' } };
  }
}

function isClosed(e: unknown): boolean {
  return /Connection is closed|ECONNRESET|EPIPE/.test(String(e));
}
