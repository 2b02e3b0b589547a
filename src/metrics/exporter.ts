import http from 'node:http';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { handleCheckRequest } from '../monitor/check-service.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import { pairsToRecord, parseInfo } from '../redis/info.js';
import type { Secrets } from '../secrets/store.js';
import { SentinelEventStream } from '../sentinel/event-stream.js';
import { FailoverHistory, type FailoverEntry } from '../sentinel/failover-history.js';
import type { BoundTopology } from '../topology/model.js';
import { boundAddress, listen } from '../util/listen.js';
import type { MetricSet } from './exposition.js';
import { buildMetrics, nodeNamer, scrapedMajority, type ScrapeData } from './ha-metrics.js';
import { ScrapeTarget } from './target.js';

export type ExporterStatus = 'idle' | 'listening' | 'stopping' | 'stopped';

export interface ExporterEvents extends Record<string, unknown> {
  event: HaEvent;
  status: ExporterStatus;
  failover: FailoverEntry;
}

export interface ExporterOptions {
  topology: BoundTopology;
  secrets: Secrets;
  host: string;
  port: number;
  /** Bound on each target's reply; a slower target is `redis_up 0` for that scrape. */
  timeoutMs: number;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The Prometheus endpoint: one scrape covers every node, sentinel and endpoint of the topology
 * over persistent connections, in parallel, each bounded; plus the failover history, fed by the
 * sentinels' events and reconciled with each scrape (pub/sub does not replay missed messages).
 */
export class Exporter extends TypedEmitter<ExporterEvents> {
  #status: ExporterStatus = 'idle';
  readonly #o: ExporterOptions;
  readonly #server: http.Server;
  readonly #nodes: Map<string, ScrapeTarget>;
  readonly #sentinels: Map<string, ScrapeTarget>;
  readonly #endpoints: { endpoint: 'primary' | 'read'; target: ScrapeTarget }[];
  readonly #history: FailoverHistory;
  readonly #stream: SentinelEventStream;
  #inflight: Promise<string> | undefined;
  #scrapes = 0;
  #lastDuration = 0;
  #down = new Set<string>();

  constructor(o: ExporterOptions) {
    super();
    this.#o = o;
    const t = o.topology;
    const { redisPassword: rp, sentinelPassword: sp } = o.secrets;
    this.#nodes = new Map(t.nodes.map((n) => [n.name, new ScrapeTarget(n, rp, o.timeoutMs)]));
    this.#sentinels = new Map(
      t.sentinels.map((s) => [s.name, new ScrapeTarget(s, sp, o.timeoutMs)]),
    );
    this.#endpoints = [];
    if (t.endpoint.mode === 'proxy') {
      this.#endpoints.push({
        endpoint: 'primary',
        target: new ScrapeTarget(t.endpoint.listen, rp, o.timeoutMs),
      });
      if (t.endpoint.readListen)
        this.#endpoints.push({
          endpoint: 'read',
          target: new ScrapeTarget(t.endpoint.readListen, rp, o.timeoutMs),
        });
    }
    this.#history = new FailoverHistory(nodeNamer(t), 2 * t.sentinel.failoverTimeoutMs);
    this.#stream = new SentinelEventStream(t, sp, (msg) => {
      const e = this.#history.onMessage(msg.channel, msg.payload, Date.now());
      if (e) this.#failover(e);
    });
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  get status(): ExporterStatus {
    return this.#status;
  }

  get address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#o);
  }

  get history(): FailoverHistory {
    return this.#history;
  }

  async start(): Promise<void> {
    this.#stream.start();
    try {
      await listen(this.#server, this.#o.host, this.#o.port, 'exporter');
    } catch (e) {
      this.#stream.stop();
      this.#closeTargets();
      throw e;
    }
    this.#setStatus('listening');
    const a = this.address;
    this.#event(`exporter listening on http://${a.host}:${a.port}/metrics`);
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    this.#stream.stop();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#closeTargets();
    this.#setStatus('stopped');
  }

  #closeTargets(): void {
    for (const t of [...this.#nodes.values(), ...this.#sentinels.values()]) t.close();
    for (const e of this.#endpoints) e.target.close();
  }

  /** One scrape's text; concurrent scrapes share the one under way. */
  scrape(): Promise<string> {
    this.#inflight ??= this.#collect().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #collect(): Promise<string> {
    const t0 = performance.now();
    const data = await this.#gather();
    const e = this.#history.observe(scrapedMajority(this.#o.topology, data).name, data.at);
    if (e) this.#failover(e);
    data.failovers = {
      count: this.#history.count,
      last: this.#history.last,
      inProgress: this.#history.inProgress,
    };
    const m = buildMetrics(this.#o.topology, data);
    this.#scrapes++;
    this.#selfMetrics(m);
    this.#lastDuration = (performance.now() - t0) / 1000;
    return m.render();
  }

  async #gather(): Promise<ScrapeData> {
    const master = this.#o.topology.masterName;
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
    return { at, nodes, sentinels, endpoints, failovers: { count: 0, inProgress: false } };
  }

  #selfMetrics(m: MetricSet): void {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    m.gauge(
      'redis_exporter_last_scrape_duration_seconds',
      'Duration of the previous scrape',
      this.#lastDuration,
    );
    m.counter('redis_exporter_scrapes_total', 'Scrapes served', this.#scrapes);
    m.gauge(
      'redis_ha_exporter_target_timeout_seconds',
      'Bound on each target',
      this.#o.timeoutMs / 1000,
    );
    m.gauge('process_resident_memory_bytes', 'Resident memory of the exporter', mem.rss);
    m.gauge('process_heap_bytes', 'V8 heap used', mem.heapUsed);
    m.counter(
      'process_cpu_seconds_total',
      'CPU time (user + system)',
      (cpu.user + cpu.system) / 1e6,
    );
    m.gauge('process_start_time_seconds', 'Start time of the exporter', Math.round(START_S));
    m.gauge('process_open_fds', 'Open file descriptors', openFds());
  }

  #noteUp(name: string, error: string | undefined): void {
    if (error === undefined) {
      if (this.#down.delete(name)) this.#event(`${name} answers the exporter again`);
    } else if (!this.#down.has(name)) {
      this.#down.add(name);
      this.#event(`${name}: redis_up 0 (${error})`, 'warn');
    }
  }

  #failover(e: FailoverEntry): void {
    const took = e.durationMs === undefined ? '' : ` in ${(e.durationMs / 1000).toFixed(2)}s`;
    this.#event(`failover ${e.from} -> ${e.to}${took}${e.inferred ? ' (seen by a scrape)' : ''}`);
    this.emit('failover', e);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/check/')) {
      handleCheckRequest(this.#o.topology, path.slice('/check/'.length), req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      this.scrape().then(
        (text) => {
          res.writeHead(200, { 'content-type': CONTENT_TYPE });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${String(e)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          '<html><body><h1>redis-ha exporter</h1><a href="/metrics">metrics</a></body></html>\n',
        );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }

  #event(message: string, level: 'info' | 'warn' = 'info'): void {
    this.emit('event', makeEvent('status', message, { level, member: 'exporter' }));
  }

  #setStatus(s: ExporterStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}

const START_S = Date.now() / 1000 - process.uptime();

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
