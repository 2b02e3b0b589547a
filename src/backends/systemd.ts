import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { makeEvent, TypedEmitter } from '../events/events.js';
import { createClient, type Auth } from '../redis/client.js';
import type { Member, NodeSpec } from '../topology/model.js';
import type { Backend, BackendEvents } from './backend.js';
import { savedReplication, setDataAside } from './data-files.js';
import type { SavedReplication } from './rdb-header.js';
import { pidFromConfig, stopDiskSnapshot } from './snapshot-child.js';

export interface SystemdOptions {
  /** The node of this host. */
  node: NodeSpec<number>;
  /** Its live config (Redis and Sentinel rewrite it: edited in place, never re-rendered). */
  configFile: string;
  unit: string;
  /** The topology's min-replicas-to-write: a restart never keeps a lowered one. */
  minReplicasToWrite: number;
  /** The admin credentials, for the connection that watches the node. */
  auth: () => Auth;
  /** Injected by tests. */
  systemctl?: (args: string[]) => Promise<void>;
  refused?: (host: string, port: number) => Promise<boolean>;
  pollMs?: number;
}

/** True when host:port actively refuses a TCP connection (nothing listens). */
export function refused(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(false));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
}

function systemctl(args: string[]): Promise<void> {
  return new Promise((resolve) =>
    execFile('systemctl', args, { timeout: 30_000 }, () => resolve()),
  );
}

/**
 * The node's config pointing at `primary` (priority 0 until synced), or at nothing, with the
 * topology's write quorum (a lowered one may have been written by a CONFIG REWRITE). Pure.
 */
export function replicaConfig(
  conf: string,
  primary: NodeSpec<number> | undefined,
  minReplicasToWrite: number,
): string {
  const lines = conf
    .split('\n')
    .filter(
      (l) =>
        !/^\s*(replicaof|slaveof|replica-priority|slave-priority|min-replicas-to-write|min-slaves-to-write)\s/i.test(
          l,
        ),
    );
  while (lines.at(-1)?.trim() === '') lines.pop();
  lines.push(`min-replicas-to-write ${minReplicasToWrite}`);
  if (primary) lines.push(`replicaof ${primary.host} ${primary.port}`, 'replica-priority 0');
  return lines.join('\n') + '\n';
}

/**
 * The node of one host as a systemd unit (what a host bundle installs; the agent runs this). Its
 * death is known from its port refusing connections, checked the moment our connection to it
 * closes (a timeout proves nothing: a frozen process keeps its port).
 */
export class SystemdUnits extends TypedEmitter<BackendEvents> implements Backend {
  readonly kind = 'systemd';
  readonly members: readonly Member<number>[];
  readonly #o: SystemdOptions;
  #dead = false;
  #client: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(o: SystemdOptions) {
    super();
    this.#o = o;
    this.members = [o.node];
  }

  alive(name: string): boolean | undefined {
    return name === this.#o.node.name ? !this.#dead : undefined;
  }

  savedReplication(name: string): SavedReplication | undefined {
    if (name !== this.#o.node.name) return undefined;
    return savedReplication(path.dirname(this.#o.configFile));
  }

  stopDiskSnapshot(name: string): number | undefined {
    const { node, configFile } = this.#o;
    if (name !== node.name || this.#dead || !existsSync(configFile)) return undefined;
    return stopDiskSnapshot(pidFromConfig(readFileSync(configFile, 'utf8')));
  }

  /** Looks once, then watches the node. */
  async open(): Promise<void> {
    this.#dead = await this.#refused();
    const c = createClient(this.#o.node, {
      ...this.#o.auth(),
      refresh: this.#o.auth,
      reconnect: true,
      timeoutMs: 500,
      name: 'redis-ha-agent',
    });
    this.#client = c;
    c.on('close', () => void this.check());
    void c.connect().catch(() => undefined);
    // While dead, look for it coming back (systemd may restart it by itself).
    this.#timer = setInterval(() => this.#dead && void this.check(), this.#o.pollMs ?? 100);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#client?.disconnect();
  }

  /** Probes the port now; reports a death or a return once. */
  check(): Promise<void> {
    this.#checking ??= this.#refused()
      .then((dead) => {
        if (dead === this.#dead) return;
        this.#dead = dead;
        const member = this.#o.node;
        if (dead) {
          this.emit('exit', { member, how: 'its port refuses connections (process gone)' });
        } else {
          this.emit('event', makeEvent('status', `${member.name} is running again`));
          this.emit('back', { member });
        }
      })
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async start(
    m: Member<number>,
    replicaOf?: NodeSpec<number>,
    o?: { fresh?: boolean },
  ): Promise<void> {
    const { configFile, unit } = this.#o;
    if (m.kind === 'node' && o?.fresh) setDataAside(path.dirname(configFile));
    if (m.kind === 'node' && existsSync(configFile))
      writeFileSync(
        configFile,
        replicaConfig(readFileSync(configFile, 'utf8'), replicaOf, this.#o.minReplicasToWrite),
      );
    // Now, instead of after the unit's RestartSec (which keeps systemd from restarting a dead
    // primary as a primary before the failover).
    await (this.#o.systemctl ?? systemctl)(['restart', unit]);
    this.#dead = await this.#refused(); // ours: not a return to report
  }

  #refused(): Promise<boolean> {
    const { host, port } = this.#o.node;
    return (this.#o.refused ?? refused)(host, port);
  }
}
