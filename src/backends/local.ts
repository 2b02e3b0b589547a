import path from 'node:path';
import { makeEvent, TypedEmitter } from '../events/events.js';
import { renderNode, writeRendered } from '../render/render-all.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { StateDir } from '../state/state-dir.js';
import { findNode, type BoundTopology, type Member, type NodeSpec } from '../topology/model.js';
import type { Backend, BackendEvents } from './backend.js';
import { savedReplication, setDataAside } from './data-files.js';
import type { SavedReplication } from './rdb-header.js';
import { Child, type ChildExit, type ChildLike, type ChildSpec } from './child.js';
import { stopDiskSnapshot } from './snapshot-child.js';
import type { RedisBinaries } from './redis-bin.js';

export interface LocalOptions {
  t: BoundTopology;
  dir: StateDir;
  bins: RedisBinaries;
  secrets: SecretsSource;
  /** Injected by tests. */
  spawnChild?: (spec: ChildSpec) => ChildLike;
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * Every member as a child process of this one (`up`): configs rendered in the state dir, each
 * child in its own process group, PIDs recorded for `down`, exits reported at once (the kernel
 * tells the parent: the fastest death signal there is), ordered teardown.
 */
export class LocalProcesses extends TypedEmitter<BackendEvents> implements Backend {
  readonly kind = 'local';
  readonly #o: LocalOptions;
  #t: BoundTopology;
  #children = new Map<string, ChildLike>();
  #closed = false;

  constructor(o: LocalOptions) {
    super();
    this.#o = o;
    this.#t = o.t;
  }

  get members(): readonly Member<number>[] {
    return [...this.#t.nodes, ...this.#t.sentinels];
  }

  /**
   * `apply` changed the members: `t` from now on. The processes of members it no longer has are
   * stopped (by PID, bounded) and not restarted; added ones are started by the caller.
   */
  async retopology(t: BoundTopology, graceMs: number): Promise<string[]> {
    this.#t = t;
    const keep = new Set(this.members.map((m) => m.name));
    const gone = [...this.#children].filter(([name]) => !keep.has(name));
    for (const [name] of gone) this.#children.delete(name); // their exit is not a death
    await Promise.all(gone.map(([, c]) => c.stop(graceMs)));
    for (const [name, c] of gone)
      this.emit(
        'event',
        makeEvent('child-exited', `stopped (pid ${c.pid ?? '?'}): no longer in the topology`, {
          member: name,
        }),
      );
    return gone.map(([name]) => name);
  }

  alive(name: string): boolean | undefined {
    if (!this.members.some((m) => m.name === name)) return undefined;
    return this.#children.get(name)?.running === true;
  }

  stopDiskSnapshot(name: string): number | undefined {
    const c = this.#children.get(name);
    return c?.spec.kind === 'node' && c.running ? stopDiskSnapshot(c.pid) : undefined;
  }

  savedReplication(name: string): SavedReplication | undefined {
    if (!this.#t.nodes.some((n) => n.name === name)) return undefined;
    return savedReplication(this.#o.dir.memberDir('node', name));
  }

  children(): ChildLike[] {
    return [...this.#children.values()];
  }

  /**
   * The topology to re-render a node with: the one `apply` recorded last (its live settings must
   * survive a restart) when its members are the ones this backend runs, else the one it began with.
   */
  #current(): BoundTopology {
    const rec = this.#o.dir.readTopology();
    const key = (t: BoundTopology): string =>
      JSON.stringify([...t.nodes, ...t.sentinels].map((m) => [m.name, m.host, m.port]));
    return rec && key(rec) === key(this.#t) ? rec : this.#t;
  }

  /** Starts a member from the config already rendered for it. */
  spawn(m: Member<number>): ChildLike {
    const { dir, bins } = this.#o;
    // The recorded topology's binaries: `restart --rolling` upgrades by recording new ones.
    const redis = this.#current().redis;
    const child = (this.#o.spawnChild ?? ((spec) => new Child(spec)))({
      name: m.name,
      kind: m.kind,
      binary:
        m.kind === 'node' ? (redis?.server ?? bins.server) : (redis?.sentinel ?? bins.sentinel),
      args: [dir.configFile(m.kind, m.name)],
      cwd: dir.memberDir(m.kind, m.name),
      pidFile: dir.childPidFile(m.name),
      outputFile: path.join(dir.memberDir(m.kind, m.name), 'stdout.log'),
    });
    this.#children.set(m.name, child);
    const what = m.kind === 'node' ? 'redis-server' : 'redis-sentinel';
    this.emit(
      'event',
      makeEvent('child-started', `${what} started (pid ${child.pid ?? '?'}, port ${m.port})`, {
        member: m.name,
        data: { pid: child.pid },
      }),
    );
    void child.exited.then((exit) => {
      if (this.#closed || this.#children.get(m.name) !== child) return;
      this.#children.delete(m.name);
      const how = describeExit(exit);
      this.emit(
        'event',
        makeEvent('child-exited', `${what} ${how}`, {
          member: m.name,
          level: 'warn',
          data: { code: exit.code, signal: exit.signal },
        }),
      );
      this.emit('exit', { member: m, how });
    });
    return child;
  }

  start(m: Member<number>, replicaOf?: NodeSpec<number>, o?: { fresh?: boolean }): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (m.kind === 'node' && o?.fresh) setDataAside(this.#o.dir.memberDir('node', m.name));
    if (m.kind === 'node') {
      const { dir, secrets } = this.#o;
      const t = this.#current();
      const node = findNode(t, m.name) ?? m;
      const ctx = { root: dir, secrets: secrets.current, sentinelIds: {}, gatePriority: true };
      writeRendered([renderNode(t, node, { ...ctx, primary: replicaOf ?? node })]);
    }
    this.spawn(m);
    return Promise.resolve();
  }

  /** Sentinels first (so none fails over), then replicas, then the primary; each bounded. */
  async stopAll(primary: string | undefined, graceMs: number): Promise<void> {
    this.#closed = true;
    const stop = (pred: (c: ChildLike) => boolean): Promise<unknown> =>
      Promise.all(
        this.children()
          .filter(pred)
          .map((c) => c.stop(graceMs)),
      );
    await stop((c) => c.spec.kind === 'sentinel');
    await stop((c) => c.spec.name !== primary);
    await stop(() => true);
    this.#children.clear();
  }
}
