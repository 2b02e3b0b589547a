/**
 * The HA controller without processes: a view that folds sentinel answers with the real reducer
 * (watch-state.ts) and judges sync with the real rule (synced.ts), a Sentinel that records what
 * it is asked, node commands that record what they do, and either real backend (local child
 * processes, systemd units) driven through its injection points.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildExit, ChildLike, ChildSpec } from '../../src/backends/child.js';
import { LocalProcesses } from '../../src/backends/local.js';
import { SystemdUnits } from '../../src/backends/systemd.js';
import { HaController } from '../../src/controller/controller.js';
import type { NodeOps } from '../../src/controller/node-ops.js';
import type { Authority, FailoverRequest } from '../../src/controller/authority.js';
import { TypedEmitter, type HaEvent } from '../../src/events/events.js';
import { fixedSecrets } from '../../src/state/live-secrets.js';
import { StateDir } from '../../src/state/state-dir.js';
import type { BoundTopology, NodeSpec } from '../../src/topology/model.js';
import { analyzeHealth } from '../../src/view/health.js';
import type { NodeObs, Observation } from '../../src/view/observation.js';
import { nextSynced } from '../../src/view/synced.js';
import type { ViewEvents } from '../../src/view/view.js';
import {
  analyze,
  announced,
  initialState,
  isolated,
  key,
  reduce,
  staleMasters,
  type Verdict,
} from '../../src/view/watch-state.js';
import type { WatchInput, WatchState } from '../../src/view/watch-state.js';
import { FAKE_SECRETS } from './fixtures.js';

/** The view the controller reads, fed by hand through the real pure rules. */
export class FakeView extends TypedEmitter<ViewEvents> {
  state: WatchState;
  verdict: Verdict;
  primary: NodeSpec<number> | undefined;
  #synced = new Map<string, string | undefined>();
  readonly #t: BoundTopology;

  constructor(t: BoundTopology) {
    super();
    this.#t = t;
    this.state = initialState(t.sentinels.map((s) => s.name));
    this.verdict = analyze(this.state);
  }

  synced(name: string): boolean {
    return this.#synced.has(name);
  }

  roleOf(node: NodeSpec<number>): 'master' | 'slave' | 'unknown' | undefined {
    return this.state.roles[key(node)];
  }

  staleMasters(among: ReadonlySet<string>): string[] {
    return staleMasters(this.state, this.verdict, this.#t.nodes, among);
  }

  cutOff(): boolean {
    return isolated(this.#t, this.state);
  }

  announced(node: NodeSpec<number>): boolean {
    return announced(this.state, node);
  }

  feed(...inputs: WatchInput[]): void {
    for (const i of inputs) this.state = reduce(this.state, i);
    this.verdict = analyze(this.state);
    const v = this.verdict;
    const next = v.confirmed && v.named ? this.#node(key(v.named)) : undefined;
    if (next?.name !== this.primary?.name) {
      const from = this.primary;
      const wasSynced = next !== undefined && this.#synced.has(next.name);
      if (next) this.#synced.clear();
      this.primary = next;
      this.emit('primary', { from, to: next, verdict: v, wasSynced });
    }
    this.emit('state', this.state);
  }

  /** These sentinels stop answering (a partition, from this host's side). */
  lose(...sentinels: string[]): void {
    const at = Date.now();
    this.feed(...sentinels.map((sentinel): WatchInput => ({ type: 'unreachable', sentinel, at })));
  }

  /** `tilt` sentinels in TILT; the others (all by default) name `name`, which says master. */
  confirm(name: string, o: { tilt?: number; failoverInProgress?: boolean } = {}): void {
    const n = this.#node(name)!;
    this.feed(
      ...this.#t.sentinels.map((s, i): WatchInput => ({
        type: 'poll',
        sentinel: s.name,
        at: Date.now(),
        master: n,
        tilt: i < (o.tilt ?? 0),
        failoverInProgress: o.failoverInProgress ?? false,
      })),
      { type: 'role', node: n, role: 'master' },
    );
  }

  /** A failover leader has chosen `name` (+failover-state-send-slaveof-noone). */
  chosen(name: string): void {
    this.emit('promoting', { node: this.#node(name)! });
  }

  role(name: string, role: 'master' | 'slave' | 'unknown'): void {
    this.feed({ type: 'role', node: this.#node(name)!, role });
  }

  /** A full look with these node answers (nodes not given: unreachable). */
  look(nodes: NodeObs[]): void {
    const obs: Observation = { at: Date.now(), nodes, sentinels: [] };
    const r = nextSynced(this.#synced, obs, this.primary, this.#t.nodes);
    const before = this.#synced;
    this.#synced = r.synced;
    for (const n of this.#t.nodes)
      if (r.synced.has(n.name) !== before.has(n.name))
        this.emit('synced', { node: n, synced: r.synced.has(n.name) });
    this.emit('look', { obs, health: analyzeHealth(this.#t, obs) });
  }

  #node(k: string): NodeSpec<number> | undefined {
    return this.#t.nodes.find((n) => n.name === k || key(n) === k);
  }
}

/** What a node answers to INFO in a look. */
export function primaryObs(t: BoundTopology, name: string, ack = 100): NodeObs {
  return {
    name,
    reachable: true,
    role: 'master',
    offset: 100,
    acks: t.nodes
      .filter((n) => n.name !== name)
      .map((n) => ({ ip: n.host, port: n.port, state: 'online', offset: ack })),
  };
}

export function replicaObs(
  t: BoundTopology,
  name: string,
  of: string,
  linkUp = true,
  runId = 'first',
): NodeObs {
  const p = t.nodes.find((n) => n.name === of)!;
  return {
    name,
    reachable: true,
    runId,
    role: 'slave',
    masterHost: p.host,
    masterPort: p.port,
    linkUp,
    syncInProgress: false,
    offset: 100,
  };
}

export class FakeAuthority implements Authority {
  readonly name = 'Sentinel';
  readonly asked: string[] = [];
  answer: FailoverRequest = { started: true, by: 's1', text: 'OK', inProgress: false };
  /** What a majority of the sentinels say of a silence; the questions asked. */
  silent = false;
  readonly silenceAsked: string[] = [];
  failover(from: string): Promise<FailoverRequest> {
    this.asked.push(from);
    return Promise.resolve(this.answer);
  }
  confirmsSilence(node: string): Promise<boolean> {
    this.silenceAsked.push(node);
    return Promise.resolve(this.silent);
  }
}

export class FakeNodeOps implements NodeOps {
  readonly priorities: [string, number][] = [];
  readonly demoted: string[] = [];
  readonly connected: string[] = [];
  readonly quorums: [string, number][] = [];
  setWriteQuorum(node: NodeSpec<number>, replicas: number): Promise<void> {
    this.quorums.push([node.name, replicas]);
    return Promise.resolve();
  }
  setPriority(node: NodeSpec<number>, priority: number): Promise<void> {
    this.priorities.push([node.name, priority]);
    return Promise.resolve();
  }
  /** Asks `wanted` until it decides, as the real one does between its ROLE probes. */
  async demoteWhenBack(o: Parameters<NodeOps['demoteWhenBack']>[0]): Promise<'demoted' | 'moot'> {
    for (let i = 0; i < 2000; i++) {
      const w = o.wanted();
      if (w === false) return 'moot';
      if (w === true) {
        this.demoted.push(`${o.old.name}->${o.to.name}`);
        return 'demoted';
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return 'moot';
  }
  connectReplicaNow(node: NodeSpec<number>, primary: NodeSpec<number>): Promise<boolean> {
    this.connected.push(`${node.name}->${primary.name}`);
    return Promise.resolve(true);
  }
  replication(): Promise<Record<string, string>> {
    return Promise.resolve({});
  }
  reset(): void {}
}

class FakeChild implements ChildLike {
  readonly spec: ChildSpec;
  readonly pid = 1;
  readonly exited: Promise<ChildExit>;
  running = true;
  #exit!: (e: ChildExit) => void;
  constructor(spec: ChildSpec) {
    this.spec = spec;
    this.exited = new Promise((r) => (this.#exit = r));
  }
  die(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.running = false;
    this.#exit({ code: null, signal, output: '' });
  }
  stop(): Promise<void> {
    this.die('SIGTERM');
    return Promise.resolve();
  }
}

export type BackendKind = 'local' | 'systemd';

export interface Harness {
  controller: HaController;
  view: FakeView;
  authority: FakeAuthority;
  ops: FakeNodeOps;
  events: HaEvent[];
  /** Every (re)start: the member and the primary it was pointed at ('' for none). */
  starts: { name: string; replicaOf: string }[];
  kill(name: string): Promise<void>;
  /** The hang guard of `name` reports a silence of down-after. */
  hang(name: string): void;
  stop(): void;
}

const replicaofOf = (conf: string, t: BoundTopology): string => {
  const m = /^replicaof (\S+) (\d+)$/m.exec(conf);
  return m ? (t.nodes.find((n) => n.host === m[1] && n.port === Number(m[2]))?.name ?? '?') : '';
};

/**
 * A controller over one of the two real backends: `local` runs every member (as `up`), `systemd`
 * the node of one host (as that host's agent).
 */
export function harness(
  t: BoundTopology,
  kind: BackendKind,
  local: string,
  primary = 'redis01',
): Harness {
  const dir = new StateDir(mkdtempSync(path.join(tmpdir(), 'redis-ha-ctl-')));
  const starts: Harness['starts'] = [];
  const guards = new Map<string, (ms: number) => void>();
  let backend: LocalProcesses | SystemdUnits;
  let kill: (name: string) => Promise<void>;
  if (kind === 'local') {
    const children = new Map<string, FakeChild>();
    backend = new LocalProcesses({
      t,
      dir,
      bins: {
        server: 'redis-server',
        sentinel: 'redis-sentinel',
        cli: '',
        version: '7.0.15',
        major: 7,
        minor: 0,
      },
      secrets: fixedSecrets(FAKE_SECRETS),
      spawnChild: (spec) => {
        const c = new FakeChild(spec);
        const conf = spec.kind === 'node' ? readFileSync(spec.args[0]!, 'utf8') : '';
        if (children.has(spec.name))
          starts.push({ name: spec.name, replicaOf: replicaofOf(conf, t) });
        children.set(spec.name, c);
        return c;
      },
    });
    for (const m of [...t.nodes, ...t.sentinels]) {
      mkdirSync(dir.memberDir(m.kind, m.name), { recursive: true });
      writeFileSync(dir.configFile(m.kind, m.name), '', { flag: 'a' });
      backend.spawn(m);
    }
    kill = (name) => {
      children.get(name)?.die();
      return Promise.resolve();
    };
  } else {
    const node = t.nodes.find((n) => n.name === local)!;
    const conf = path.join(dir.root, 'redis.conf');
    writeFileSync(conf, 'port 1\n');
    const dead = new Set<string>();
    const units = new SystemdUnits({
      node,
      configFile: conf,
      unit: 'redis-ha-node',
      minReplicasToWrite: t.replication.minReplicasToWrite,
      auth: () => ({}),
      systemctl: () => {
        starts.push({ name: local, replicaOf: replicaofOf(readFileSync(conf, 'utf8'), t) });
        dead.delete(local);
        return Promise.resolve();
      },
      refused: (_h, port) => Promise.resolve(port === node.port && dead.has(local)),
    });
    backend = units;
    kill = async (name) => {
      if (name !== local) return;
      dead.add(name);
      await units.check();
    };
  }
  const view = new FakeView(t);
  view.confirm(primary);
  const authority = new FakeAuthority();
  const ops = new FakeNodeOps();
  const controller = new HaController({
    topology: t,
    view,
    backend,
    authority,
    nodes: ops,
    primary,
    hangGuard: (node, onHung) => {
      guards.set(node.name, onHung);
      return { stop: () => guards.delete(node.name) };
    },
  });
  const events: HaEvent[] = [];
  controller.on('event', (e) => events.push(e));
  controller.start();
  return {
    controller,
    view,
    authority,
    ops,
    events,
    starts,
    kill,
    hang: (name) => guards.get(name)?.(t.sentinel.downAfterMs),
    stop: () => controller.stop(),
  };
}

/** Waits (bounded) until `cond` holds. */
export async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
