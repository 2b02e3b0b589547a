import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  rmdirSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { RedisHaError } from '../errors/errors.js';
import { isAlive, terminate } from '../util/pids.js';
import { readJson, writeJsonAtomic } from '../state/state-dir.js';
import { HOST_PRIVATE_DIRS } from '../render/bundle/paths.js';
import type { BoundTopology, Topology } from '../topology/model.js';
import { ensureSshKey, unitsFile, writeShim } from './lab-init.js';
import { createNetwork, deleteNamespace, holds, namespaces, pidsIn } from './netns.js';

export const LAB_PREFIX = 'rhlab-';

export interface LabHost {
  name: string;
  ns: string;
  /** Its port on the switch (a veth end in the switch namespace). */
  port: string;
  address: string;
  /** Its private files (fs/) and its init's socket, PIDs and logs. */
  root: string;
  initPid?: number | undefined;
}

export interface LabState {
  id: string;
  switch: string;
  iface: string;
  prefix: number;
  hosts: LabHost[];
  client: LabHost;
  /** Mount points this lab created on the machine (removed by `lab down` when empty). */
  createdDirs: string[];
}

export const labDir = (t: Pick<Topology, 'stateDir'>): string => path.join(t.stateDir, 'lab');
const labFile = (t: Pick<Topology, 'stateDir'>): string => path.join(labDir(t), 'lab.json');

/** The key `deploy --lab` logs in with, and the known-hosts file it fills. */
export const labSshKey = (t: Pick<Topology, 'stateDir'>): string =>
  path.join(labDir(t), 'id_ed25519');
export const labKnownHosts = (t: Pick<Topology, 'stateDir'>): string =>
  path.join(labDir(t), 'known_hosts');

export function readLab(t: Pick<Topology, 'stateDir'>): LabState | undefined {
  return readJson<LabState>(labFile(t));
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new RedisHaError('NEEDS_ROOT', `${what} needs root (network namespaces, mounts)`, {
      hint: 'run it as root, e.g. `sudo redis-ha lab up`',
    });
}

/** The lab's hosts, a client host, the network and one init per host (nothing installed yet). */
export async function createLab(
  t: BoundTopology,
  progress: (l: string) => void,
): Promise<LabState> {
  requireRoot('redis-ha lab');
  if (readLab(t))
    throw new RedisHaError('ALREADY_RUNNING', `a lab of this topology is up (${labFile(t)})`, {
      hint: '`redis-ha lab down` first',
    });
  const id = randomBytes(2).toString('hex');
  const prefix = t.endpoint.prefix && t.endpoint.prefix < 32 ? t.endpoint.prefix : 24;
  const dir = labDir(t);
  const host = (name: string, address: string, i: number): LabHost => ({
    name,
    ns: `${LAB_PREFIX}${id}-${name}`,
    port: `rh${id}p${i}`,
    address,
    root: path.join(dir, 'hosts', name),
  });
  const hosts = t.hosts.map((h, i) => host(h.name, h.address, i));
  const taken = new Set([...t.hosts.map((h) => h.address), t.endpoint.address]);
  const base = (t.hosts[0]?.address ?? '10.208.0.1').split('.').slice(0, 3).join('.');
  let last = 200;
  while (taken.has(`${base}.${last}`)) last++;
  const lab: LabState = {
    id,
    switch: `${LAB_PREFIX}${id}-sw`,
    iface: t.endpoint.interface,
    prefix,
    hosts,
    client: host('client', `${base}.${last}`, hosts.length),
    createdDirs: [],
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeJsonAtomic(labFile(t), lab, 0o600);
  progress(`lab ${id}: ${hosts.length} hosts + a client on a bridge (${base}.0/${prefix})`);
  createNetwork(
    lab.switch,
    [...hosts, lab.client].map((h) => ({ ns: h.ns, port: h.port, address: h.address, prefix })),
    lab.iface,
  );
  for (const d of HOST_PRIVATE_DIRS)
    if (!existsSync(d)) {
      mkdirSync(d, { recursive: true });
      lab.createdDirs.push(d);
    }
  writeJsonAtomic(labFile(t), lab, 0o600);
  // deploy's key: every host's root accepts it (and only it).
  const key = labSshKey(t);
  ensureSshKey(key, `redis-ha lab ${id}`);
  for (const h of hosts) {
    mkdirSync(path.join(h.root, 'ssh'), { recursive: true, mode: 0o700 });
    copyFileSync(`${key}.pub`, path.join(h.root, 'ssh', 'authorized_keys'));
  }
  for (const h of hosts) {
    h.initPid = await startInit(h);
    writeJsonAtomic(labFile(t), lab, 0o600);
    progress(`  ${h.name}: ${h.address} in ${h.ns}, init pid ${h.initPid}`);
  }
  return lab;
}

/** The host's init, with its own sshd (deploy's way in). */
async function startInit(h: LabHost): Promise<number> {
  const cli = process.argv[1] ?? '';
  writeShim(h.root);
  const log = openSync(path.join(h.root, 'init.log'), 'a');
  // `ip netns exec` and `unshare` exec in place: the PID is the init's own.
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      h.ns,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      process.execPath,
      cli,
      'lab',
      'init',
      '--root',
      h.root,
      '--ssh',
      h.address,
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  closeSync(log);
  const pid = child.pid ?? 0;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (readJson<{ init: number }>(unitsFile(h.root))?.init === pid) return pid;
    if (!isAlive(pid)) break;
    await sleep(50);
  }
  throw new RedisHaError('LAB_FAILED', `${h.name}: its init did not start`, {
    hint: `see ${path.join(h.root, 'init.log')}`,
  });
}

/** Runs a command inside a lab host (its network and mount namespaces). */
export function inHost(h: LabHost, argv: string[], env: Record<string, string> = {}) {
  return spawnSync(
    'nsenter',
    [
      '-t',
      String(h.initPid ?? 0),
      '-m',
      '-n',
      '--',
      'env',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...argv,
    ],
    { encoding: 'utf8', timeout: 180_000 },
  );
}

/** Runs a command in the lab's client host (network namespace only). */
export function inClient(lab: LabState, argv: string[], timeoutMs = 60_000) {
  return spawnSync('ip', ['netns', 'exec', lab.client.ns, ...argv], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** The PIDs of a host's units (from its init). */
export function unitPids(h: LabHost): Record<string, number | null> {
  return readJson<{ units: Record<string, number | null> }>(unitsFile(h.root))?.units ?? {};
}

/** Which hosts hold the floating address right now. */
export function vipHolders(lab: LabState, address: string): string[] {
  return lab.hosts.filter((h) => holds(h.ns, lab.iface, address)).map((h) => h.name);
}

/**
 * Removes everything the lab created, and only that: its hosts' processes (each init stops its
 * units; anything left in a namespace is killed by PID), the namespaces (and so their links),
 * the mount points it created. Mounts lived in the inits' own mount namespaces.
 */
export async function destroyLab(
  t: Pick<Topology, 'stateDir'>,
  progress: (l: string) => void,
): Promise<{ removed: string[] }> {
  requireRoot('redis-ha lab');
  const lab = readLab(t);
  const removed: string[] = [];
  if (!lab) return { removed };
  for (const h of lab.hosts) {
    if (h.initPid && isAlive(h.initPid)) {
      await terminate(h.initPid, 20_000);
      progress(`  ${h.name}: stopped (init pid ${h.initPid})`);
    }
  }
  for (const h of [...lab.hosts, lab.client]) {
    for (const pid of namespaces().includes(h.ns) ? pidsIn(h.ns) : []) await terminate(pid, 5000);
    deleteNamespace(h.ns);
    removed.push(h.ns);
  }
  deleteNamespace(lab.switch);
  removed.push(lab.switch);
  const others = namespaces().some((n) => n.startsWith(LAB_PREFIX));
  for (const d of [...lab.createdDirs].reverse())
    if (!others && existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
  rmSync(labDir(t), { recursive: true, force: true });
  progress(`lab ${lab.id} removed: ${removed.join(', ')}`);
  return { removed };
}

/**
 * Runs this same command again inside the lab's client host (its network namespace), where the
 * hosts' addresses are reachable; its output is the command's. Resolves with its exit code.
 */
export function rerunInClientHost(lab: LabState): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.client.ns,
        process.execPath,
        process.argv[1] ?? '',
        ...process.argv.slice(2),
      ],
      { stdio: 'inherit', env: { ...process.env, REDIS_HA_LAB_CLIENT: lab.id } },
    );
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}
