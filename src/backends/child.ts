import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { removePid, terminate, writePid } from '../util/pids.js';

export interface ChildSpec {
  name: string;
  kind: 'node' | 'sentinel';
  binary: string;
  args: string[];
  cwd: string;
  /** Where our PID record for this child lives. */
  pidFile: string;
  /** stdout/stderr (Redis writes here only before its logfile is open). */
  outputFile: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Tail of stdout/stderr, for errors such as a bad config line. */
  output: string;
}

/**
 * One redis-server / redis-sentinel process. It runs in its own process group so a Ctrl-C on the
 * terminal reaches only the supervisor, which then stops children in a safe order.
 */
export class Child {
  readonly spec: ChildSpec;
  readonly startedAt = Date.now();
  readonly exited: Promise<ChildExit>;
  #proc: ChildProcess;
  #exit: ChildExit | undefined;

  constructor(spec: ChildSpec) {
    this.spec = spec;
    mkdirSync(spec.cwd, { recursive: true, mode: 0o700 });
    mkdirSync(path.dirname(spec.pidFile), { recursive: true, mode: 0o700 });
    const fd = openSync(spec.outputFile, 'a', 0o600);
    try {
      this.#proc = spawn(spec.binary, spec.args, {
        cwd: spec.cwd,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const pid = this.#proc.pid;
    if (pid !== undefined) writePid(spec.pidFile, pid);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.#exit) return;
        removePid(spec.pidFile);
        this.#exit = { code, signal, output: tail(spec.outputFile) };
        resolve(this.#exit);
      };
      this.#proc.once('exit', done);
      this.#proc.once('error', () => done(127, null));
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  get running(): boolean {
    return this.#exit === undefined && this.#proc.pid !== undefined;
  }

  /** SIGTERM (Redis saves and exits), SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    const pid = this.#proc.pid;
    if (pid !== undefined && this.running) await terminate(pid, graceMs);
    await this.exited;
  }

  /** Lets this process exit while the child runs on (a detached cluster `up`, unsupervised). */
  release(): void {
    this.#proc.unref();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.#proc.kill(signal);
  }
}

function tail(file: string, bytes = 2000): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.slice(-bytes).trim();
}

/** What the rest of redis-ha uses of a child (tests give fakes). */
export type ChildLike = Pick<Child, 'spec' | 'pid' | 'running' | 'exited' | 'stop'>;
