import { credentials, sentinelCredentials } from '../secrets/credentials.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { pairsToRecord, parseInfo } from '../redis/info.js';
import type { Secrets } from '../secrets/store.js';
import { SentinelEventStream, type SentinelMessage } from '../sentinel/event-stream.js';
import { FailoverHistory, type FailoverEntry } from '../sentinel/failover-history.js';
import type { BoundTopology } from '../topology/model.js';
import { nodeNamer, scrapedMajority, type ScrapeData } from './ha-metrics.js';
import { ScrapeTarget } from './target.js';

export interface CollectorEvents extends Record<string, unknown> {
  event: HaEvent;
  /** Every sentinel event for this master, as received. */
  message: SentinelMessage & { at: number };
  failover: FailoverEntry;
}

/**
 * What the exporter and the dashboard look at: one bounded look at every node, sentinel and
 * endpoint over persistent connections, in parallel; plus the failover history, fed by the
 * sentinels' events and reconciled with each look (pub/sub does not replay missed messages).
 * Concurrent looks share the one under way.
 */
export class TopologyCollector extends TypedEmitter<CollectorEvents> {
  readonly topology: BoundTopology;
  readonly #nodes: Map<string, ScrapeTarget>;
  readonly #sentinels: Map<string, ScrapeTarget>;
  readonly #endpoints: { endpoint: 'primary' | 'read'; target: ScrapeTarget }[] = [];
  readonly #history: FailoverHistory;
  readonly #stream: SentinelEventStream;
  #inflight: Promise<ScrapeData> | undefined;
  #down = new Set<string>();
  #users = 0;

  constructor(t: BoundTopology, secrets: Secrets, timeoutMs: number) {
    super();
    this.topology = t;
    // Read-only introspection: INFO and ROLE, through the endpoint too (it then opens a
    // dedicated connection for that user).
    const rp = credentials(t, secrets, 'monitor');
    const sp = sentinelCredentials(t, secrets);
    this.#nodes = new Map(t.nodes.map((n) => [n.name, new ScrapeTarget(n, rp, timeoutMs)]));
    this.#sentinels = new Map(t.sentinels.map((s) => [s.name, new ScrapeTarget(s, sp, timeoutMs)]));
    if (t.endpoint.mode === 'proxy') {
      this.#endpoints.push({
        endpoint: 'primary',
        target: new ScrapeTarget(t.endpoint.listen, rp, timeoutMs),
      });
      if (t.endpoint.readListen)
        this.#endpoints.push({
          endpoint: 'read',
          target: new ScrapeTarget(t.endpoint.readListen, rp, timeoutMs),
        });
    }
    this.#history = new FailoverHistory(nodeNamer(t), 2 * t.sentinel.failoverTimeoutMs);
    this.#stream = new SentinelEventStream(t, sp, (msg) => {
      const at = Date.now();
      this.emit('message', { ...msg, at });
      const e = this.#history.onMessage(msg.channel, msg.payload, at);
      if (e) this.#failover(e);
    });
  }

  get history(): FailoverHistory {
    return this.#history;
  }

  /** Shared by the daemons that use it: the first start() starts it, the last stop() stops it. */
  start(): void {
    if (this.#users++ === 0) this.#stream.start();
  }

  stop(): void {
    if (--this.#users > 0) return;
    this.#stream.stop();
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
