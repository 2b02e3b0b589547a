import { spawnSync } from 'node:child_process';
import { carries } from '../endpoint/vip-address.js';
import { RedisHaError } from '../errors/errors.js';

/** Runs `ip ARGS`; throws with its message on failure unless `allowFail`. */
export function ip(args: readonly string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new RedisHaError('DEPENDENCY_MISSING', '`ip` is not installed', {
      hint: 'install it: apt-get install -y iproute2',
    });
  if (r.status !== 0 && !allowFail)
    throw new RedisHaError('LAB_FAILED', `ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function namespaces(): string[] {
  return ip(['netns', 'list'], true)
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** PIDs of every process in a namespace (whoever started them). */
export function pidsIn(ns: string): number[] {
  return ip(['netns', 'pids', ns], true)
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
}

export interface LabLink {
  ns: string;
  /** The switch-side end of its veth. */
  port: string;
  address: string;
  prefix: number;
}

/**
 * A switch namespace holding a bridge, and one namespace per host plugged into it by a veth
 * pair (`eth0` inside the host). Nothing is added to the machine's own namespace: every address
 * lives inside namespaces created here.
 */
export function createNetwork(sw: string, links: readonly LabLink[], iface: string): void {
  ip(['netns', 'add', sw]);
  ip(['-n', sw, 'link', 'set', 'lo', 'up']);
  ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  ip(['-n', sw, 'link', 'set', 'br0', 'up']);
  for (const l of links) {
    ip(['netns', 'add', l.ns]);
    ip(['-n', l.ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', sw, 'link', 'add', l.port, 'type', 'veth', 'peer', 'name', iface, 'netns', l.ns]);
    ip(['-n', sw, 'link', 'set', l.port, 'master', 'br0', 'up']);
    ip(['-n', l.ns, 'addr', 'add', `${l.address}/${l.prefix}`, 'dev', iface]);
    ip(['-n', l.ns, 'link', 'set', iface, 'up']);
  }
}

/** Deleting a namespace deletes its end of each veth, and so the pair. */
export function deleteNamespace(ns: string): void {
  if (namespaces().includes(ns)) ip(['netns', 'del', ns], true);
}

/** Cuts a host off (its switch port down: carrier lost on both ends) or plugs it back. */
export function setLink(sw: string, port: string, up: boolean): void {
  ip(['-n', sw, 'link', 'set', port, up ? 'up' : 'down']);
}

/** Whether a host's interface carries the address right now. */
export function holds(ns: string, iface: string, address: string): boolean {
  return carries(ip(['-n', ns, '-o', '-4', 'addr', 'show', 'dev', iface], true), address);
}
