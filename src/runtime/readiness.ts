import { RedisHaError } from '../errors/errors.js';
import { formatBytes } from '../util/units.js';
import { confirmStreaming } from '../redis/streaming.js';
import type { BoundTopology, Member, NodeSpec } from '../topology/model.js';
import type { Child } from './child.js';
import { analyzeHealth, type Health } from './health.js';
import { observe, observeNode, type ClientPool } from './observe.js';
import { waitFor } from './wait.js';

type Progress = (member: string, message: string) => void;

function exitedError(child: Child, what: string): RedisHaError {
  return new RedisHaError('PROCESS_FAILED', `${child.spec.name} exited while ${what}`, {
    hint: `see its log: \`redis-ha logs ${child.spec.name}\``,
  });
}

/** Resolves once the node answers INFO and is not loading its dataset. */
export async function waitNodeReady(
  pool: ClientPool,
  child: Child,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      if (!child.running) {
        const exit = await child.exited;
        throw new RedisHaError(
          'PROCESS_FAILED',
          `${child.spec.name} exited during startup (${exit.signal ?? `code ${exit.code}`})${exit.output ? `:\n${exit.output}` : ''}`,
          {
            hint: `see \`redis-ha logs ${child.spec.name}\``,
          },
        );
      }
      const o = await observeNode(pool, child.spec.name);
      if (o.error && /WRONGPASS|NOAUTH/.test(o.error)) {
        throw new RedisHaError(
          'SECRETS_INVALID',
          `${child.spec.name} rejected the stored password`,
        );
      }
      if (!o.reachable) return { pending: o.error ?? 'not reachable' };
      return o.loading ? { pending: 'loading dataset' } : true;
    },
    { timeoutMs, intervalMs: 20, what: `${child.spec.name} to accept connections` },
  );
}

/** Waits for a replica's link to be up and its offset to match the primary's, with progress. */
export async function waitReplicaSynced(
  pool: ClientPool,
  child: Child,
  primary: NodeSpec<number>,
  timeoutMs: number,
  progress: Progress,
): Promise<void> {
  const name = child.spec.name;
  let lastReport = 0;
  progress(name, `${name} initial sync from ${primary.name} ...`);
  await waitFor(
    async () => {
      if (!child.running) throw exitedError(child, 'syncing');
      const p = await observeNode(pool, primary.name);
      const r = await observeNode(pool, name);
      if (!r.reachable) return { pending: r.error ?? 'unreachable' };
      const now = Date.now();
      if (r.syncInProgress && now - lastReport >= 1000) {
        lastReport = now;
        const total = r.syncTotalBytes ?? -1;
        const read = r.syncReadBytes ?? 0;
        progress(
          name,
          total > 0
            ? `${name} initial sync ... ${Math.floor((100 * read) / total)}% (${formatBytes(read)}/${formatBytes(total)})`
            : `${name} initial sync ... ${formatBytes(read)} received`,
        );
      }
      if (!r.linkUp || r.syncInProgress) return { pending: 'link down or sync in progress' };
      if (r.offset < p.offset) return { pending: `${p.offset - r.offset} bytes behind` };
      const replica = pool.topology.nodes.find((n) => n.name === name);
      if (!replica || !(await confirmStreaming(pool.get(primary), replica)))
        return { pending: 'primary has not acknowledged the replica stream yet' };
      return true;
    },
    {
      timeoutMs,
      intervalMs: 25,
      what: `${name} to finish its initial sync`,
      hint: 'raise replication.syncTimeout for large datasets; see `redis-ha logs`',
    },
  );
  progress(name, `${name} initial sync ... 100%`);
}

/**
 * Polls until analyzeHealth says healthy, reporting sentinel agreement as it changes.
 * `strictOffsets: false` for a topology that takes writes meanwhile (replica offsets then never
 * match exactly); `children`: processes whose exit ends the wait.
 */
export async function waitHealthy(
  pool: ClientPool,
  t: BoundTopology,
  timeoutMs: number,
  progress: Progress,
  o: { children?: () => Child[]; strictOffsets?: boolean } = {},
): Promise<Health> {
  let last = '';
  return waitFor<Health>(
    async () => {
      for (const c of o.children?.() ?? [])
        if (!c.running) throw exitedError(c, 'waiting for the cluster to become healthy');
      const h = analyzeHealth(t, await observe(pool), {
        strictOffsets: o.strictOffsets ?? true,
      });
      const reachable = h.sentinelReachable;
      const line = h.primary
        ? `sentinels agree on primary ${h.primary} (${h.agreeing}/${t.sentinels.length}), quorum ${t.quorum}/${t.sentinels.length}: ${reachable} reachable`
        : `waiting for the sentinels to agree (${reachable}/${t.sentinels.length} reachable)`;
      if (line !== last) {
        last = line;
        progress('', line);
      }
      return h.healthy ? h : { pending: h.problems.join('; ') };
    },
    { timeoutMs, intervalMs: 50, what: 'the cluster to become healthy' },
  );
}

export async function waitSentinelPing(pool: ClientPool, child: Child): Promise<void> {
  const s = pool.topology.sentinels.find((x) => x.name === child.spec.name);
  if (!s) return;
  await waitFor(
    async () => {
      if (!child.running) throw exitedError(child, 'starting');
      try {
        return (await pool.get(s).ping()) === 'PONG' ? true : undefined;
      } catch (e) {
        return { pending: e instanceof Error ? e.message : String(e) };
      }
    },
    { timeoutMs: 10_000, intervalMs: 20, what: `${s.name} to accept connections` },
  );
}

export interface StartOrder {
  pool: ClientPool;
  primary: NodeSpec<number>;
  spawn: (m: Member<number>) => Child;
  progress: Progress;
  onReplicaSynced: (name: string) => Promise<void>;
}

/** Primary, then replicas (until synced), then sentinels: sentinels' first INFO sees every replica. */
export async function startInOrder(o: StartOrder): Promise<void> {
  const t = o.pool.topology;
  const { primary, progress } = o;
  const readyTimeout = Math.max(10_000, t.replication.syncTimeoutMs);
  progress(primary.name, `starting ${primary.name} (primary, ${primary.host}:${primary.port}) ...`);
  await waitNodeReady(o.pool, o.spawn(primary), readyTimeout);
  progress(primary.name, `starting ${primary.name} ... ready`);
  const replicas = t.nodes
    .filter((n) => n.name !== primary.name)
    .map((r) => {
      progress(r.name, `starting ${r.name} (replica, ${r.host}:${r.port}) ...`);
      return o.spawn(r);
    });
  await Promise.all(replicas.map((c) => waitNodeReady(o.pool, c, readyTimeout)));
  await Promise.all(
    replicas.map(async (c) => {
      await waitReplicaSynced(o.pool, c, primary, t.replication.syncTimeoutMs, progress);
      await o.onReplicaSynced(c.spec.name);
    }),
  );
  const sentinels = t.sentinels.map((s) => o.spawn(s));
  progress('', `starting ${t.sentinels.length} sentinels (quorum ${t.quorum}) ...`);
  await Promise.all(
    sentinels.map(async (c) => {
      await waitSentinelPing(o.pool, c);
      await tuneSentinel(o.pool, c.spec.name).catch((e: unknown) =>
        progress(
          c.spec.name,
          `SENTINEL DEBUG not applied: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    }),
  );
}

/**
 * Applies the topology's SENTINEL DEBUG periods (they are not config directives, so every start
 * needs them). Redis 6.2 has no SENTINEL DEBUG: the caller reports and carries on.
 */
export async function tuneSentinel(pool: ClientPool, name: string): Promise<void> {
  const t = pool.topology;
  const s = t.sentinels.find((x) => x.name === name);
  const p = t.sentinel.debugPeriods;
  const args = [
    ...(p.ping === undefined ? [] : ['ping-period', String(p.ping)]),
    ...(p.ask === undefined ? [] : ['ask-period', String(p.ask)]),
    ...(p.info === undefined ? [] : ['info-period', String(p.info)]),
  ];
  if (!s || args.length === 0) return;
  await pool.get(s).call('SENTINEL', 'DEBUG', ...args);
}
