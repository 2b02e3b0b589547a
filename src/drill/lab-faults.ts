import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Auth } from '../redis/client.js';
import { hostOf, type BoundTopology, type NodeSpec } from '../topology/model.js';
import { unitPids, type LabHost, type LabState } from '../lab/lab.js';
import { setLink } from '../lab/netns.js';
import { nodeUnitName } from '../render/bundle/units.js';
import type { ClusterView } from '../view/view.js';
import { failedOverFrom } from './faults.js';
import { carries } from '../endpoint/vip-address.js';

/** What the VIP sampler saw during one run. */
export interface VipSamples {
  samples: number;
  /** Samples in which two or more hosts carried the address. */
  overlapping: number;
  /** Fault -> the first sample where the old host no longer carried it (ms). */
  releasedAfterMs: number | null;
  /** Fault -> the first sample where another host carried it (ms). */
  takenAfterMs: number | null;
  /** MAC changes of the address in the client's neighbour table. */
  clientArpChanges: number;
}

const ipOut = (args: string[]): Promise<string> =>
  new Promise((resolve) =>
    execFile('ip', args, { timeout: 2000, encoding: 'utf8' }, (_e, out) => resolve(out ?? '')),
  );

/**
 * Samples `ip addr` on every data host and the client's neighbour entry for the address every
 * 50 ms (all hosts of one sample read concurrently).
 */
export class VipSampler {
  readonly #lab: LabState;
  readonly #hosts: LabHost[];
  readonly #vip: string;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #out: VipSamples = {
    samples: 0,
    overlapping: 0,
    releasedAfterMs: null,
    takenAfterMs: null,
    clientArpChanges: 0,
  };

  constructor(lab: LabState, dataHosts: readonly string[], vip: string) {
    this.#lab = lab;
    this.#hosts = lab.hosts.filter((h) => dataHosts.includes(h.name));
    this.#vip = vip;
  }

  /** `from`: the host that held the address before the fault. */
  start(t0: () => number | undefined, from: string): void {
    this.#running = true;
    let mac = '';
    this.#loop = (async () => {
      while (this.#running) {
        const next = sleep(50);
        const [neigh, ...addrs] = await Promise.all([
          ipOut(['-n', this.#lab.client.ns, 'neigh', 'show', this.#vip]),
          ...this.#hosts.map((h) =>
            ipOut(['-n', h.ns, '-o', '-4', 'addr', 'show', 'dev', this.#lab.iface]),
          ),
        ]);
        const holders = this.#hosts
          .filter((_, i) => carries(addrs[i] ?? '', this.#vip))
          .map((h) => h.name);
        const s = this.#out;
        s.samples++;
        if (holders.length > 1) s.overlapping++;
        const m = /lladdr (\S+)/.exec(neigh)?.[1] ?? '';
        if (m && mac && m !== mac) s.clientArpChanges++;
        if (m) mac = m;
        const start = t0();
        if (start !== undefined) {
          const at = performance.now() - start;
          if (s.releasedAfterMs === null && !holders.includes(from)) s.releasedAfterMs = at;
          if (s.takenAfterMs === null && holders.some((h) => h !== from)) s.takenAfterMs = at;
        }
        await next;
      }
    })();
  }

  async stop(): Promise<VipSamples> {
    this.#running = false;
    await this.#loop;
    return this.#out;
  }
}

/** A command inside a lab host's namespaces, without blocking the drill's writer. */
function inHostAsync(h: LabHost, argv: string[], env: Record<string, string>): Promise<string> {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const args = ['-t', String(h.initPid ?? 0), '-m', '-n', '--', 'env', ...vars, ...argv];
  return new Promise((resolve) =>
    execFile('nsenter', args, { timeout: 2000, encoding: 'utf8' }, (_e, out, err) =>
      resolve(`${out ?? ''}${err ?? ''}`.trim()),
    ),
  );
}

/**
 * While a host is cut off: writes to its (old primary) node from inside the host, every 100 ms,
 * until one is refused (min-replicas-to-write, never lowered on a minority side). Resolves with
 * the time from the cut to that refusal, or null if it still took writes when `stop` came.
 */
async function isolatedRefusal(
  h: LabHost,
  node: NodeSpec<number>,
  auth: Auth,
  cutAt: number,
  stopped: () => boolean,
): Promise<number | null> {
  const argv = ['redis-cli', '--no-auth-warning', '-h', node.host, '-p', String(node.port)];
  if (auth.username) argv.push('--user', auth.username);
  for (let i = 0; !stopped(); i++) {
    const out = await inHostAsync(h, [...argv, 'SET', `drill:isolated:${i}`, '1'], {
      REDISCLI_AUTH: auth.password ?? '',
    });
    if (/NOREPLICAS|READONLY/.test(out)) return performance.now() - cutAt;
    await sleep(100);
  }
  return null;
}

/**
 * The faults only a lab can inject: a host cut off (until the failover and 1 s more, or for
 * `forMs`), frozen, or briefly cut off. A partition resolves with the time its isolated old
 * primary took to refuse writes.
 */
export async function injectLabFault(
  fault: 'partition' | 'host-freeze' | 'partition-heal' | 'kill',
  t: BoundTopology,
  lab: LabState,
  primary: string,
  watcher: ClusterView,
  progress: (l: string) => void,
  forMs?: number,
): Promise<number | null | undefined> {
  const node = t.nodes.find((n) => n.name === primary);
  if (!node) throw new Error(`unknown primary ${primary}`);
  const host = lab.hosts.find((h) => h.name === hostOf(t, node).name);
  if (!host) throw new Error(`no lab host for ${primary}`);
  const movedAway = (): Promise<true> => failedOverFrom(t, watcher, primary);
  // A fault that lasts a set time, else until another node is the primary (and 1 s more).
  const lasting = (): Promise<unknown> =>
    forMs === undefined ? movedAway().then(() => sleep(1000)) : sleep(forMs);
  switch (fault) {
    case 'kill': {
      const pid = unitPids(host)[nodeUnitName(node)];
      if (!pid) throw new Error(`${primary} is not running`);
      process.kill(pid, 'SIGKILL');
      return undefined;
    }
    case 'partition': {
      const cutAt = performance.now();
      setLink(lab.switch, host.port, false);
      let healed = false;
      const refusal = isolatedRefusal(host, node, watcher.links.nodeAuth(), cutAt, () => healed);
      try {
        await lasting();
        // A failover quicker than the fence must not heal the cut before the fence is seen:
        // hold it until the isolated primary refuses writes (lag + 1 s, Redis's rounding) + 2 s.
        if (forMs === undefined) {
          const bound = cutAt + t.replication.minReplicasMaxLagMs + 3000 - performance.now();
          await Promise.race([refusal, sleep(Math.max(0, bound))]);
        }
      } finally {
        healed = true;
        setLink(lab.switch, host.port, true);
        progress(`healed ${host.name}`);
      }
      return refusal;
    }
    case 'partition-heal': {
      // Shorter than down-after: no failover is due; the fenced host must take the address back.
      const ms = Math.max(200, t.sentinel.downAfterMs - 500);
      setLink(lab.switch, host.port, false);
      await sleep(ms);
      setLink(lab.switch, host.port, true);
      progress(`healed ${host.name} after ${ms}ms`);
      return undefined;
    }
    case 'host-freeze': {
      const pids = Object.values(unitPids(host)).filter((p): p is number => typeof p === 'number');
      for (const p of pids) process.kill(p, 'SIGSTOP');
      try {
        await (forMs === undefined ? movedAway() : sleep(forMs));
      } finally {
        for (const p of pids) process.kill(p, 'SIGCONT');
        progress(`resumed ${host.name}`);
      }
      return undefined;
    }
  }
}
