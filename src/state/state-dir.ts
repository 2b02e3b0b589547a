import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  existsSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RedisHaError } from '../errors/errors.js';
import type { BoundTopology } from '../topology/model.js';

/** Where everything of one topology lives on disk. */
export class StateDir {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  get secretsFile(): string {
    return path.join(this.root, 'secrets.json');
  }
  get stateFile(): string {
    return path.join(this.root, 'state.json');
  }
  get supervisorPidFile(): string {
    return path.join(this.root, 'supervisor.pid');
  }
  get supervisorLog(): string {
    return path.join(this.root, 'supervisor.log');
  }
  get eventsFile(): string {
    return path.join(this.root, 'events.jsonl');
  }
  /** The topology running now, as `up` started it and `apply` last changed it. */
  get topologyFile(): string {
    return path.join(this.root, 'topology.json');
  }
  get runDir(): string {
    return path.join(this.root, 'run');
  }
  memberDir(kind: 'node' | 'sentinel', name: string): string {
    return path.join(this.root, kind === 'node' ? 'nodes' : 'sentinels', name);
  }
  configFile(kind: 'node' | 'sentinel', name: string): string {
    return path.join(this.memberDir(kind, name), kind === 'node' ? 'redis.conf' : 'sentinel.conf');
  }
  logFile(kind: 'node' | 'sentinel', name: string): string {
    return path.join(this.memberDir(kind, name), kind === 'node' ? 'redis.log' : 'sentinel.log');
  }
  childPidFile(name: string): string {
    return path.join(this.runDir, `${name}.pid`);
  }

  ensure(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
  }

  readState(): PersistedState {
    return readJson<PersistedState>(this.stateFile) ?? emptyState();
  }

  /** Atomic replace so a crash never leaves half a file. */
  writeState(state: PersistedState): void {
    this.ensure();
    writeJsonAtomic(this.stateFile, state, 0o600);
  }

  readTopology(): BoundTopology | undefined {
    return readJson<BoundTopology>(this.topologyFile);
  }

  writeTopology(t: BoundTopology): void {
    this.ensure();
    writeJsonAtomic(this.topologyFile, t, 0o600);
  }

  /** A rolling restart under way: the PIDs its members had when it began (rolling.ts). */
  get rollFile(): string {
    return path.join(this.root, 'rolling.json');
  }
  readRoll(): RollRecord | undefined {
    return readJson<RollRecord>(this.rollFile);
  }
  writeRoll(r: RollRecord | undefined): void {
    if (r === undefined) rmSync(this.rollFile, { force: true });
    else writeJsonAtomic(this.rollFile, r, 0o600);
  }

  /** A confirmed primary change, recorded by the one subscriber of the view that writes it. */
  recordFailover(from: string, to: string): void {
    const s = this.readState();
    s.primary = to;
    s.failovers.push({ at: new Date().toISOString(), from, to });
    this.writeState(s);
  }
}

/** A member is done once its PID differs from the one recorded here. */
export interface RollRecord {
  at: string;
  /** Why (apply's reasons, or `restart --rolling`). */
  reasons: string[];
  pids: Record<string, number>;
}

export interface FailoverRecord {
  at: string;
  from: string;
  to: string;
}

export interface PersistedState {
  version: 1;
  /** Ports chosen for `port: auto`, kept across runs. */
  ports: Record<string, number>;
  /** Sentinel run ids, unique per sentinel, fixed so peers can be pre-declared. */
  sentinelIds: Record<string, string>;
  /** The node last confirmed as primary by the sentinels. */
  primary?: string;
  failovers: FailoverRecord[];
}

export function emptyState(): PersistedState {
  return { version: 1, ports: {}, sentinelIds: {}, failovers: [] };
}

export function newSentinelId(): string {
  return randomBytes(20).toString('hex');
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new RedisHaError('INTERNAL', `cannot read ${file}: it is not valid JSON`, {
      hint: 'restore it or remove it (a new one is created)',
      cause: e,
    });
  }
}

export function writeJsonAtomic(file: string, value: unknown, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
