import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { pairsToRecord, parseInfo } from '../redis/info.js';
import { newestBackup } from '../state/backups.js';
import { credentials } from '../state/credentials.js';
import type { BoundTopology } from '../topology/model.js';
import { FailoverHistory, type FailoverEntry } from '../view/failover-history.js';
import type { SentinelMessage } from '../view/sentinel-message.js';
import type { ClusterView } from '../view/view.js';
import { nodeNamer, scrapedMajority, scrapedSingleCopy, type ScrapeData } from './ha-metrics.js';
import { ScrapeTarget } from './target.js';

export interface CollectorEvents extends Record<string, unknown> {
  event: HaEvent;
  /** Every sentinel event for this master, as received. */
  message: SentinelMessage & { at: number };
  failover: FailoverEntry;
}

/**
 * What the exporter and the dashboard look at: one bounded look at every node, sentinel and
 * endpoint, in parallel, over the process's view's connections (the endpoint probes have their
 * own); plus the failover history, fed by the view's sentinel events and reconciled with each
 * look (pub/sub does not replay missed messages). Concurrent looks share the one under way.
 */
export class TopologyCollector extends TypedEmitter<CollectorEvents> {
  readonly topology: BoundTopology;
  readonly #nodes: Map<string, ScrapeTarget>;
  readonly #sentinels: Map<string, ScrapeTarget>;
  readonly #endpoints: { endpoint: 'primary' | 'read'; target: ScrapeTarget }[] = [];
  readonly #history: FailoverHistory;
  readonly #view: ClusterView;
  #off: (() => void) | undefined;
  #inflight: Promise<ScrapeData> | undefined;
  #down = new Set<string>();
  #singleCopySince: number | undefined;
  #users = 0;

  constructor(view: ClusterView, timeoutMs: number) {
    super();
    const t = view.topology;
    this.topology = t;
    this.#view = view;
    const { links } = view;
    const target = (m: (typeof t.nodes)[number] | (typeof t.sentinels)[number]): ScrapeTarget =>
      new ScrapeTarget(() => links.get(m), timeoutMs);
    this.#nodes = new Map(t.nodes.map((n) => [n.name, target(n)]));
    this.#sentinels = new Map(t.sentinels.map((s) => [s.name, target(s)]));
    // Read-only introspection through the endpoint (it opens a dedicated connection for it).
    const auth = () => credentials(t, links.secrets.current, 'monitor');
    if (t.endpoint.mode === 'proxy') {
      const probe = (at: { host: string; port: number }): ScrapeTarget =>
        new ScrapeTarget({ at, auth }, timeoutMs);
      this.#endpoints.push({ endpoint: 'primary', target: probe(t.endpoint.listen) });
      if (t.endpoint.readListen)
        this.#endpoints.push({ endpoint: 'read', target: probe(t.endpoint.readListen) });
    }
    this.#history = new FailoverHistory(nodeNamer(t), 2 * t.sentinel.failoverTimeoutMs);
  }

  get history(): FailoverHistory {
    return this.#history;
  }

  /** Shared by the daemons that use it: the first start() starts it, the last stop() stops it. */
  start(): void {
    if (this.#users++ > 0) return;
    this.#off = this.#view.on('sentinel', (msg) => {
      this.emit('message', msg);
      const e = this.#history.onMessage(msg.channel, msg.payload, msg.at);
      if (e) this.#failover(e);
    });
  }

  stop(): void {
    if (--this.#users > 0) return;
    this.#off?.();
    for (const t of [...this.#nodes.values(), ...this.#sentinels.values()]) t.close();
    for (const e of this.#endpoints) e.target.close();
  }

  gather(): Promise<ScrapeData> {
    this.#inflight ??= this.#gather().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #gather(): Promise<ScrapeData> {
    const master = this.topology.masterName;
    const at = Date.now();
    const [nodes, sentinels, endpoints] = await Promise.all([
      Promise.all(
        [...this.#nodes].map(async ([name, tg]) => {
          const r = await tg.run(async (c) => parseInfo(await c.info()));
          this.#noteUp(name, r.ok ? undefined : r.error);
          return r.ok ? { name, info: r.value } : { name, error: r.error };
        }),
      ),
      Promise.all(
        [...this.#sentinels].map(async ([name, tg]) => {
          const r = await tg.run(async (c) => {
            const res = await c
              .pipeline()
              .info()
              .call('SENTINEL', 'MASTER', master)
              .call('SENTINEL', 'REPLICAS', master)
              .call('SENTINEL', 'SENTINELS', master)
              .call('SENTINEL', 'CKQUORUM', master)
              .exec();
            if (!res) throw new Error('pipeline discarded');
            const [info, m, reps, sents, ck] = res;
            if (info?.[0]) throw info[0];
            const list = (x: [Error | null, unknown] | undefined): Record<string, string>[] =>
              !x || x[0] || !Array.isArray(x[1]) ? [] : x[1].map(pairsToRecord);
            return {
              info: parseInfo(typeof info?.[1] === 'string' ? info[1] : ''),
              master: m && !m[0] ? pairsToRecord(m[1]) : {},
              replicas: list(reps),
              sentinels: list(sents),
              ckquorumOk: ck !== undefined && !ck[0],
            };
          });
          this.#noteUp(name, r.ok ? undefined : r.error);
          return r.ok ? { name, replies: r.value } : { name, error: r.error };
        }),
      ),
      Promise.all(
        this.#endpoints.map(async ({ endpoint, target }) => {
          const t0 = performance.now();
          const r = await target.run(async (c) => parseInfo(await c.info('server')).run_id);
          const seconds = (performance.now() - t0) / 1000;
          return r.ok ? { endpoint, runId: r.value, seconds } : { endpoint, error: r.error };
        }),
      ),
    ]);
    const data: ScrapeData = {
      at,
      nodes,
      sentinels,
      endpoints,
      failovers: { count: 0, inProgress: false },
    };
    const e = this.#history.observe(scrapedMajority(this.topology, data).name, at);
    if (e) this.#failover(e);
    data.failovers = {
      count: this.#history.count,
      last: this.#history.last,
      inProgress: this.#history.inProgress,
    };
    const alone = scrapedSingleCopy(this.topology, data);
    this.#singleCopySince = alone ? (this.#singleCopySince ?? at) : undefined;
    data.singleCopySince = this.#singleCopySince;
    const b = this.topology.backup;
    if (b) data.backup = { lastSuccess: newestBackup(b.dir)?.time };
    return data;
  }

  #noteUp(name: string, error: string | undefined): void {
    if (error === undefined) {
      if (this.#down.delete(name)) this.#event(`${name} answers again`);
    } else if (!this.#down.has(name)) {
      this.#down.add(name);
      this.#event(`${name} does not answer (${error})`, 'warn');
    }
  }

  #failover(e: FailoverEntry): void {
    const took = e.durationMs === undefined ? '' : ` in ${(e.durationMs / 1000).toFixed(2)}s`;
    this.#event(
      `failover ${e.from} -> ${e.to}${took}${e.inferred ? ' (seen by a periodic look)' : ''}`,
    );
    this.emit('failover', e);
  }

  #event(message: string, level: 'info' | 'warn' = 'info'): void {
    this.emit('event', makeEvent('status', message, { level, member: 'monitor' }));
  }
}
