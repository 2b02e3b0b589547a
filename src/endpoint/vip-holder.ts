import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { NodeSpec } from '../topology/model.js';
import type { ClusterView } from '../view/view.js';
import type { VipAddress } from './vip-address.js';
import { decideVip } from './vip-decide.js';

export type VipStatus = 'idle' | 'running' | 'stopping' | 'stopped';

export interface VipEvents extends Record<string, unknown> {
  event: HaEvent;
  status: VipStatus;
  /** The floating address was taken or released. */
  vip: { held: boolean; reason: string; at: number };
}

export interface VipHolderOptions {
  view: ClusterView;
  vip: VipAddress;
  /** This host's node. */
  local: NodeSpec<number>;
  /** Its process is gone (the backend knows). */
  localDead: () => boolean;
  tickMs?: number;
}

/**
 * The endpoint in VIP mode, on one data host: holds the floating address only while the local
 * node is the view's confirmed primary and a sentinel majority answers (fencing, vip-decide.ts).
 * Decides on every view change and on a 100 ms tick; never cron.
 */
export class VipHolder extends TypedEmitter<VipEvents> {
  #status: VipStatus = 'idle';
  readonly #o: VipHolderOptions;
  #holding = false;
  #applying = false;
  #announcedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #off: (() => void)[] = [];

  constructor(o: VipHolderOptions) {
    super();
    this.#o = o;
  }

  get status(): VipStatus {
    return this.#status;
  }
  get holding(): boolean {
    return this.#holding;
  }

  async start(): Promise<void> {
    if (this.#status !== 'idle') return;
    this.#holding = await this.#o.vip.held().catch(() => false);
    this.#setStatus('running');
    const { view } = this.#o;
    this.#off.push(
      view.on('primary', () => this.reconcile()),
      view.on('leaving', () => this.reconcile()),
    );
    this.#tick();
  }

  /** Decide now (a view change, the local process gone, Sentinel's reconfig hook, SIGUSR1). */
  reconcile(): void {
    if (this.#status !== 'running') return;
    void this.#apply().catch((e: unknown) => this.#event(`vip: ${String(e)}`, 'error'));
  }

  /** Releases the address: a stopped holder cannot fence. */
  async stop(): Promise<void> {
    if (this.#status !== 'running') return;
    this.#setStatus('stopping');
    clearTimeout(this.#timer);
    for (const off of this.#off) off();
    if (this.#holding) {
      await this.#o.vip.remove().catch(() => undefined);
      this.#holding = false;
      this.emit('vip', { held: false, reason: 'agent stopped', at: Date.now() });
    }
    this.#setStatus('stopped');
  }

  #tick(): void {
    const { vip } = this.#o;
    // A periodic gratuitous ARP while holding (keepalived's garp_master_refresh): a neighbour
    // that learnt another MAC for the address by any path comes back within 10 s at worst.
    if (this.#holding && Date.now() - this.#announcedAt > 10_000) {
      this.#announcedAt = Date.now();
      vip.announce([0]);
    }
    void this.#apply()
      .catch((e: unknown) => this.#event(`vip: ${String(e)}`, 'error'))
      .finally(() => {
        if (this.#status === 'running')
          this.#timer = setTimeout(() => this.#tick(), this.#o.tickMs ?? 100);
      });
  }

  async #apply(): Promise<void> {
    const { vip, view } = this.#o;
    if (this.#applying || this.#status !== 'running') return;
    const d = decideVip({
      state: view.state,
      verdict: view.verdict,
      local: this.#o.local,
      holding: this.#holding,
      now: Date.now(),
      fenceTimeoutMs: view.topology.endpoint.fenceTimeoutMs,
      localDead: this.#o.localDead(),
    });
    if (d.hold === this.#holding) return;
    this.#applying = true;
    try {
      if (d.hold) await vip.add();
      else await vip.remove();
      this.#announcedAt = Date.now();
      this.#holding = d.hold;
      this.emit('vip', { held: d.hold, reason: d.reason, at: Date.now() });
      this.#event(`${d.hold ? 'took' : 'released'} ${vip.cidr}: ${d.reason}`);
    } finally {
      this.#applying = false;
    }
  }

  #event(message: string, level: 'info' | 'error' = 'info'): void {
    const kind = level === 'error' ? 'error' : 'decision';
    this.emit('event', makeEvent(kind, message, { member: this.#o.local.name, level }));
  }

  #setStatus(s: VipStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
