import type { ChildLike as Child } from '../backends/child.js';
import type { LocalProcesses } from '../backends/local.js';
import type { HaController } from '../controller/controller.js';
import type { SentinelAuthority } from '../controller/sentinel-authority.js';
import { RedisHaError } from '../errors/errors.js';
import { withClient } from '../redis/client.js';
import { confirmStreaming } from '../redis/streaming.js';
import type { NodeSpec } from '../topology/model.js';
import { formatBytes } from '../util/units.js';
import { waitFor } from '../util/wait.js';
import type { Links } from '../view/links.js';
import { observeNode } from '../view/observe.js';
import { syncOf } from '../view/synced.js';
import { exitedError } from '../view/wait-healthy.js';

type Progress = (member: string, message: string) => void;

export interface Boot {
  links: Links;
  backend: LocalProcesses;
  controller: HaController;
  authority: SentinelAuthority;
  primary: NodeSpec<number>;
  progress: Progress;
}

/** Primary, then replicas (until synced), then sentinels: sentinels' first INFO sees every replica. */
export async function bootInOrder(b: Boot): Promise<void> {
  const t = b.links.topology;
  const { primary, progress } = b;
  const readyTimeout = Math.max(10_000, t.replication.syncTimeoutMs);
  progress(primary.name, `starting ${primary.name} (primary, ${primary.host}:${primary.port}) ...`);
  await waitNodeReady(b.links, b.backend.spawn(primary), readyTimeout);
  progress(primary.name, `starting ${primary.name} ... ready`);
  const replicas = t.nodes
    .filter((n) => n.name !== primary.name)
    .map((r) => {
      progress(r.name, `starting ${r.name} (replica, ${r.host}:${r.port}) ...`);
      return b.backend.spawn(r);
    });
  await Promise.all(replicas.map((c) => waitNodeReady(b.links, c, readyTimeout)));
  await Promise.all(
    replicas.map(async (c) => {
      await waitReplicaSynced(b.links, c, primary, t.replication.syncTimeoutMs, progress);
      const node = t.nodes.find((n) => n.name === c.spec.name);
      if (node) await b.controller.promote(node);
    }),
  );
  const sentinels = t.sentinels.map((s) => b.backend.spawn(s));
  progress('', `starting ${t.sentinels.length} sentinels (quorum ${t.quorum}) ...`);
  await Promise.all(
    sentinels.map(async (c) => {
      await waitSentinelPing(b.links, c);
      await b.authority
        .tune(c.spec.name)
        .catch((e: unknown) =>
          progress(
            c.spec.name,
            `SENTINEL DEBUG not applied: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
    }),
  );
}

/** Resolves once the node answers INFO and is not loading its dataset. */
async function waitNodeReady(links: Links, child: Child, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      if (!child.running) {
        const exit = await child.exited;
        throw new RedisHaError(
          'PROCESS_FAILED',
          `${child.spec.name} exited during startup (${exit.signal ?? `code ${exit.code}`})${exit.output ? `:\n${exit.output}` : ''}`,
          { hint: `see \`redis-ha logs ${child.spec.name}\`` },
        );
      }
      const o = await observeNode(links, child.spec.name);
      if (o.error && /WRONGPASS|NOAUTH/.test(o.error))
        throw new RedisHaError(
          'SECRETS_INVALID',
          `${child.spec.name} rejected the stored password`,
        );
      if (!o.reachable) return { pending: o.error ?? 'not reachable' };
      return o.loading ? { pending: 'loading dataset' } : true;
    },
    { timeoutMs, intervalMs: 20, what: `${child.spec.name} to accept connections` },
  );
}

/** Until the replica is synced by the strict rule (offsets equal, stream confirmed), with progress. */
async function waitReplicaSynced(
  links: Links,
  child: Child,
  primary: NodeSpec<number>,
  timeoutMs: number,
  progress: Progress,
): Promise<void> {
  const name = child.spec.name;
  const replica = links.topology.nodes.find((n) => n.name === name)!;
  let lastReport = 0;
  progress(name, `${name} initial sync from ${primary.name} ...`);
  await waitFor(
    async () => {
      if (!child.running) throw exitedError(name, 'syncing');
      // The primary's offset is read no later than the replica's.
      const p = await observeNode(links, primary.name);
      const r = await observeNode(links, name);
      if (r.syncInProgress && Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        const total = r.syncTotalBytes ?? -1;
        const read = r.syncReadBytes ?? 0;
        progress(
          name,
          total > 0
            ? `${name} initial sync ... ${Math.floor((100 * read) / total)}% (${formatBytes(read)}/${formatBytes(total)})`
            : `${name} initial sync ... ${formatBytes(read)} received`,
        );
      }
      const s = syncOf(r, p, primary, replica, 0);
      if (s.synced) return true;
      if (s.why !== 'stream') return { pending: s.reason };
      // Make the primary's ACK from it arrive now rather than within a second.
      const ok = await withClient(primary, { ...links.nodeAuth(), timeoutMs: 2000 }, (c) =>
        confirmStreaming(c, replica),
      ).catch(() => false);
      return ok ? true : { pending: s.reason };
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

async function waitSentinelPing(links: Links, child: Child): Promise<void> {
  const s = links.topology.sentinels.find((x) => x.name === child.spec.name);
  if (!s) return;
  await waitFor(
    async () => {
      if (!child.running) throw exitedError(s.name, 'starting');
      try {
        return (await links.get(s).ping()) === 'PONG' ? true : undefined;
      } catch (e) {
        return { pending: e instanceof Error ? e.message : String(e) };
      }
    },
    { timeoutMs: 10_000, intervalMs: 20, what: `${s.name} to accept connections` },
  );
}
