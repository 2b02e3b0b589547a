import path from 'node:path';
import type { Member } from '../topology/model.js';
import { Child, type ChildExit } from './child.js';
import { nextBackoff } from './decisions.js';
import type { RedisBinaries } from './redis-bin.js';
import type { StateDir } from './state-dir.js';

export interface ChildTableOptions {
  dir: StateDir;
  bins: RedisBinaries;
  backoffMinMs: number;
  backoffMaxMs: number;
  stopTimeoutMs: number;
  /** Called once per unexpected exit of the current child of a member. */
  onExit: (m: Member<number>, child: Child, exit: ChildExit) => void;
}

/** The running children by member, their restart backoff and timers, and ordered teardown. */
export class ChildTable {
  readonly #o: ChildTableOptions;
  #children = new Map<string, Child>();
  #attempts = new Map<string, number>();
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(o: ChildTableOptions) {
    this.#o = o;
  }

  spawn(m: Member<number>): Child {
    const { dir, bins } = this.#o;
    const child = new Child({
      name: m.name,
      kind: m.kind,
      binary: m.kind === 'node' ? bins.server : bins.sentinel,
      args: [dir.configFile(m.kind, m.name)],
      cwd: dir.memberDir(m.kind, m.name),
      pidFile: dir.childPidFile(m.name),
      outputFile: path.join(dir.memberDir(m.kind, m.name), 'stdout.log'),
    });
    this.#children.set(m.name, child);
    void child.exited.then((exit) => {
      if (this.#closed || this.#children.get(m.name) !== child) return;
      this.#children.delete(m.name);
      this.#o.onExit(m, child, exit);
    });
    return child;
  }

  has(name: string): boolean {
    return this.#children.has(name);
  }

  all(): Child[] {
    return [...this.#children.values()];
  }

  /** Schedules `start` with exponential backoff; returns the delay. `firstImmediate` skips it once. */
  restartLater(name: string, child: Child, start: () => void, firstImmediate = false): number {
    const b = nextBackoff(
      this.#attempts.get(name) ?? 0,
      Date.now() - child.startedAt,
      this.#o.backoffMinMs,
      this.#o.backoffMaxMs,
    );
    this.#attempts.set(name, b.attempts);
    const delay = firstImmediate && b.attempts <= 1 ? 0 : b.delayMs;
    this.schedule(start, delay);
    return delay;
  }

  schedule(fn: () => void, ms: number): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Sentinels first (so none fails over), then replicas, then the primary; each bounded. */
  async stopAll(primary: string): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const grace = this.#o.stopTimeoutMs;
    const stop = (pred: (c: Child) => boolean): Promise<unknown> =>
      Promise.all(
        this.all()
          .filter(pred)
          .map((c) => c.stop(grace)),
      );
    await stop((c) => c.spec.kind === 'sentinel');
    await stop((c) => c.spec.name !== primary);
    await stop(() => true);
    this.#children.clear();
  }
}
