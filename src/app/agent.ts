import { SystemdUnits } from '../backends/systemd.js';
import { HaController } from '../controller/controller.js';
import { hangGuards } from '../controller/hang-guard.js';
import { redisNodeOps } from '../controller/node-ops.js';
import { SentinelAuthority } from '../controller/sentinel-authority.js';
import { VipAddress } from '../endpoint/vip-address.js';
import { VipHolder, type VipEvents } from '../endpoint/vip-holder.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { nodeUnitName } from '../render/bundle/units.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { StateDir } from '../state/state-dir.js';
import { membersOn, type BoundTopology, type NodeSpec } from '../topology/model.js';
import { ClusterView } from '../view/view.js';

export type AgentStatus = 'idle' | 'running' | 'stopping' | 'stopped';

export interface AgentEvents extends Record<string, unknown> {
  event: HaEvent;
  status: AgentStatus;
  vip: VipEvents['vip'];
}

export interface AgentOptions {
  topology: BoundTopology;
  secrets: SecretsSource;
  dir: StateDir;
  /** The host this agent runs on. */
  host: string;
}

/**
 * The agent of one data host (what a bundle's `redis-ha-agent.service` runs): the same view and
 * HA controller as `up`, over the host's systemd unit, plus the floating address in VIP mode.
 */
export class HostAgent extends TypedEmitter<AgentEvents> {
  #status: AgentStatus = 'idle';
  readonly node: NodeSpec<number>;
  readonly #view: ClusterView;
  readonly #backend: SystemdUnits;
  readonly #o: AgentOptions;
  #controller: HaController | undefined;
  #vip: VipHolder | undefined;

  constructor(o: AgentOptions) {
    super();
    this.#o = o;
    const t = o.topology;
    const node = membersOn(t, o.host).find((m) => m.kind === 'node');
    if (!node) throw new Error(`host ${o.host} runs no node: it needs no agent`);
    this.node = node;
    this.#view = new ClusterView({
      topology: t,
      secrets: o.secrets,
      nodeUser: 'admin',
      pollMs: 100,
    });
    this.#backend = new SystemdUnits({
      node,
      configFile: o.dir.configFile('node', node.name),
      unit: nodeUnitName(node),
      minReplicasToWrite: t.replication.minReplicasToWrite,
      auth: () => this.#view.links.nodeAuth(),
    });
  }

  get status(): AgentStatus {
    return this.#status;
  }

  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#setStatus('running');
    const t = this.#o.topology;
    const view = this.#view;
    const log = (e: HaEvent): void => this.emit('event', e);
    view.on('event', log);
    this.#backend.on('event', log);
    const authority = new SentinelAuthority(view.links);
    await this.#backend.open();
    await view.start();
    const controller = new HaController({
      topology: t,
      view,
      backend: this.#backend,
      authority,
      nodes: redisNodeOps(view.links),
      primary: view.primary?.name,
      hangGuard: hangGuards(() => view.links.nodeAuth(), t.sentinel.downAfterMs),
    });
    this.#controller = controller;
    controller.on('event', log);
    if (t.endpoint.mode === 'vip' && t.endpoint.address) {
      const vip = new VipHolder({
        view,
        vip: new VipAddress(t.endpoint.address, t.endpoint.prefix ?? 32, t.endpoint.interface),
        local: this.node,
        localDead: () => this.#backend.alive(this.node.name) === false,
      });
      vip.on('event', log);
      vip.on('vip', (v) => this.emit('vip', v));
      this.#backend.on('exit', () => vip.reconcile());
      this.#vip = vip;
      await vip.start();
    }
    controller.start();
    const at = this.#vip ? `, address ${t.endpoint.address ?? ''} on ${t.endpoint.interface}` : '';
    log(
      makeEvent('status', `agent of ${this.#o.host} started (node ${this.node.name}${at})`, {
        member: this.node.name,
      }),
    );
  }

  /** Look now (Sentinel's client-reconfig-script hook, SIGUSR1). */
  reconcile(): void {
    this.#view.reconcile();
    this.#vip?.reconcile();
  }

  /** Releases the address first: a stopped agent cannot fence. */
  async stop(): Promise<void> {
    if (this.#status !== 'running') return;
    this.#setStatus('stopping');
    await this.#vip?.stop();
    this.#controller?.stop();
    this.#backend.close();
    this.#view.stop();
    this.#setStatus('stopped');
  }

  #setStatus(s: AgentStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
