import path from 'node:path';
import type { HostSpec, Topology } from './model.js';
import type { ParsedTopology } from './schema.js';

/** The sections a Sentinel and a cluster topology share, as parsed. */
type Shared = Pick<ParsedTopology, 'persistence' | 'memory' | 'supervisor' | 'auth' | 'tls'>;

/** The hosts of a topology: one per member's host (declared or an address), then unused declared ones. */
export function resolveHosts(
  declared: Readonly<Record<string, { address: string; ssh?: string | undefined }>>,
  members: readonly { host: string; hostName?: string | undefined }[],
): HostSpec[] {
  const hosts: HostSpec[] = [];
  for (const m of members) {
    const name = m.hostName ?? m.host;
    if (hosts.some((h) => h.name === name)) continue;
    const ssh = declared[name]?.ssh ?? `root@${m.host}`;
    hosts.push({ name, address: m.host, ssh: ssh.includes('@') ? ssh : `root@${ssh}` });
  }
  for (const [name, h] of Object.entries(declared))
    if (!hosts.some((x) => x.name === name))
      hosts.push({ name, address: h.address, ssh: h.ssh ?? `root@${h.address}` });
  return hosts;
}

/** A member's `host`: a `hosts` key (its address is the host's) or an address of its own. */
export function placeAt(
  declared: Readonly<Record<string, { address: string }>>,
  h: string,
): { host: string; hostName: string } {
  return { host: declared[h]?.address ?? h, hostName: h };
}

/** 0s with one replica per primary (nothing to batch), 1s with more (one transfer serves them). */
export function disklessDelayMs(delay: number | 'auto', replicasPerPrimary: number): number {
  return delay === 'auto' ? (replicasPerPrimary > 1 ? 1000 : 0) : delay;
}

export function sharedSections(
  t: Shared,
  baseDir: string,
): Pick<Topology, 'persistence' | 'memory' | 'supervisor' | 'auth' | 'tls'> {
  return {
    persistence: t.persistence,
    memory: { maxmemoryBytes: t.memory.maxmemory, policy: t.memory.policy },
    supervisor: {
      restartBackoffMinMs: t.supervisor.restartBackoffMin,
      restartBackoffMaxMs: t.supervisor.restartBackoffMax,
      failoverWaitMs: t.supervisor.failoverWait,
      stopTimeoutMs: t.supervisor.stopTimeout,
    },
    auth: { mode: t.auth.mode, appCommands: t.auth.appCommands },
    tls: {
      enabled: t.tls.enabled,
      ca: t.tls.ca && {
        cert: path.resolve(baseDir, t.tls.ca.cert),
        key: path.resolve(baseDir, t.tls.ca.key),
      },
    },
  };
}

/** "host:port" or "host:auto" (validated by the schema). */
export function parseListen(listen: string): { host: string; port: number | 'auto' } {
  const i = listen.lastIndexOf(':');
  const port = listen.slice(i + 1);
  return { host: listen.slice(0, i), port: port === 'auto' ? 'auto' : Number(port) };
}
