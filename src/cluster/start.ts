/**
 * `up` of a cluster topology, for the composition root: configs rendered, every node a child
 * process, the cluster formed (or verified) and healthy, unsupervised (benchmarks; `up` adds the
 * controllers, app/cluster-system.ts): the caller keeps the
 * children (foreground) or releases them (detached; `down` stops them by their PID records).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RedisHaError } from '../errors/errors.js';
import { Child, type ChildExit } from '../backends/child.js';
import { LocalProcesses } from '../backends/local.js';
import { findRedis } from '../backends/redis-bin.js';
import { renderAll, writeRendered } from '../render/render-all.js';
import { fixedSecrets } from '../state/live-secrets.js';
import { prepareState } from '../state/prepare.js';
import type { Secrets } from '../state/secrets.js';
import { StateDir } from '../state/state-dir.js';
import { isOurRedis, readPid } from '../util/pids.js';
import { Links } from '../view/links.js';
import { designatedPrimary, type BoundTopology, type Topology } from '../topology/model.js';
import { formCluster, type FormResult } from './form.js';

export interface ClusterRun {
  t: BoundTopology;
  dir: StateDir;
  secrets: Secrets;
  result: FormResult;
  /** Stops every node (SIGTERM, then SIGKILL after supervisor.stopTimeout). */
  stop: () => Promise<void>;
  /** Leaves the nodes running and lets this process exit. */
  release: () => void;
}

export interface StartOptions {
  progress: (line: string) => void;
  healthyTimeoutMs?: number;
}

/** Recorded node PIDs of this state dir that are still our redis-server processes. */
export function liveNodes(dir: StateDir): { name: string; pid: number }[] {
  if (!existsSync(dir.runDir)) return [];
  return readdirSync(dir.runDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => ({ name: f.slice(0, -4), pid: readPid(path.join(dir.runDir, f)) }))
    .filter((x): x is { name: string; pid: number } => x.pid !== undefined)
    .filter((x) => isOurRedis(x.pid, dir.root));
}

/** Ports bound and kept, TLS issued, secrets created on first use, configs written. */
export async function prepareCluster(topology: Topology): Promise<{
  t: BoundTopology;
  dir: StateDir;
  secrets: Secrets;
}> {
  const dir = new StateDir(topology.stateDir);
  dir.ensure();
  const running = liveNodes(dir);
  if (running.length > 0)
    throw new RedisHaError(
      'ALREADY_RUNNING',
      `this cluster is already running (${running.map((r) => `${r.name} pid ${r.pid}`).join(', ')})`,
      { hint: 'see `redis-ha status`; stop it with `redis-ha down`' },
    );
  const { t, secrets } = await prepareState(topology, { checkFree: true });
  writeRendered(
    renderAll(t, {
      root: dir,
      secrets,
      primary: designatedPrimary(t),
      sentinelIds: {},
      gatePriority: false,
    }),
  );
  return { t, dir, secrets };
}

export async function startCluster(topology: Topology, o: StartOptions): Promise<ClusterRun> {
  const bins = await findRedis();
  o.progress(`using Redis ${bins.version} (${bins.server})`);
  const { t, dir, secrets } = await prepareCluster(topology);
  const procs = new LocalProcesses({ t, dir, bins, secrets: fixedSecrets(secrets) });
  const links = new Links(t, fixedSecrets(secrets));
  const exits = new Map<string, ChildExit>();
  let formed = false;
  const stop = async (): Promise<void> => {
    links.close();
    await procs.stopAll(undefined, t.supervisor.stopTimeoutMs);
  };
  try {
    for (const n of t.nodes) {
      const child = procs.spawn(n);
      o.progress(
        `starting ${n.name} (${n.role} of ${shardOf(t, n.name)}, ${n.host}:${n.port}) ...`,
      );
      void child.exited.then((exit) => {
        exits.set(n.name, exit);
        if (formed && procs.alive(n.name) === false)
          o.progress(`${n.name} exited (${describe(exit)}): not restarted (unsupervised run)`);
      });
    }
    const result = await formCluster(t, {
      links,
      progress: o.progress,
      check: () => throwIfExited(exits),
      healthyTimeoutMs: o.healthyTimeoutMs,
    });
    formed = true;
    return {
      t,
      dir,
      secrets,
      result,
      stop,
      release: () => {
        links.close();
        for (const c of procs.children()) if (c instanceof Child) c.release();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

const describe = (exit: ChildExit): string => exit.signal ?? `code ${exit.code}`;

/** Ends a formation wait at once when a node's process is gone, with its output. */
function throwIfExited(exits: ReadonlyMap<string, ChildExit>): void {
  const [name, exit] = [...exits][0] ?? [];
  if (name && exit)
    throw new RedisHaError(
      'PROCESS_FAILED',
      `${name} exited (${describe(exit)})${exit.output ? `:\n${exit.output}` : ''}`,
      { hint: `see \`redis-ha logs ${name}\`` },
    );
}

function shardOf(t: BoundTopology, name: string): string {
  return (
    t.cluster?.shards.find((s) => s.primary === name || s.replicas.includes(name))?.name ?? '?'
  );
}
