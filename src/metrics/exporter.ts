import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { timingSafeEqual } from 'node:crypto';
import { handleCheckRequest } from '../monitor/check-service.js';
import type { Credentials } from '../state/credentials.js';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { BoundTopology } from '../topology/model.js';
import { openFds } from '../util/fds.js';
import { boundAddress, listen } from '../util/listen.js';
import type { TopologyCollector } from './collector.js';
import type { MetricSet } from './exposition.js';
import { buildMetrics } from './ha-metrics.js';

/** What a scrape looks at: a Sentinel topology's collector, or a cluster's (cluster-metrics.ts). */
export interface MetricsSource {
  readonly topology: BoundTopology;
  start(): void;
  stop(): void;
  /** One look, as metrics (the exporter adds its own). */
  metrics(): Promise<MetricSet>;
}

/** A Sentinel topology's collector as a metrics source. */
export function collectorSource(c: TopologyCollector): MetricsSource {
  return {
    topology: c.topology,
    start: () => c.start(),
    stop: () => c.stop(),
    metrics: async () => buildMetrics(c.topology, await c.gather()),
  };
}

export type ExporterStatus = 'idle' | 'listening' | 'stopping' | 'stopped';

export interface ExporterEvents extends Record<string, unknown> {
  event: HaEvent;
  status: ExporterStatus;
}

export interface ExporterOptions {
  /** Shared with the dashboard when both run in one process (collectorSource). */
  collector: MetricsSource;
  host: string;
  port: number;
  /** Reported as redis_ha_exporter_target_timeout_seconds. */
  timeoutMs: number;
  /**
   * HTTP Basic credentials a scrape must present (the monitor user's, read at each request so a
   * rotation applies at once); undefined: open (tests of the exporter alone).
   */
  auth?: (() => Credentials) | undefined;
}

/** Pure: whether an Authorization header carries the credentials (constant-time compare). */
export function basicAuthorized(header: string | undefined, c: Credentials): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0 || decoded.slice(0, i) !== (c.username ?? 'monitor')) return false;
  const given = Buffer.from(decoded.slice(i + 1));
  let ok = false;
  for (const pw of [c.password, ...(c.also ?? [])]) {
    const want = Buffer.from(pw);
    if (given.length === want.length && timingSafeEqual(given, want)) ok = true;
  }
  return ok;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The Prometheus endpoint: one scrape is one look of the collector at the whole topology (every
 * target bounded), turned into metrics by a pure function; plus the resident check service.
 */
export class Exporter extends TypedEmitter<ExporterEvents> {
  #status: ExporterStatus = 'idle';
  readonly #o: ExporterOptions;
  readonly #t: BoundTopology;
  readonly #server: http.Server;
  #inflight: Promise<string> | undefined;
  #scrapes = 0;
  #lastDuration = 0;

  constructor(o: ExporterOptions) {
    super();
    this.#o = o;
    this.#t = o.collector.topology;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  get status(): ExporterStatus {
    return this.#status;
  }

  get address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#o);
  }

  async start(): Promise<void> {
    this.#o.collector.start();
    try {
      await listen(this.#server, this.#o.host, this.#o.port, 'exporter');
    } catch (e) {
      this.#o.collector.stop();
      throw e;
    }
    this.#setStatus('listening');
    const a = this.address;
    this.#event(`exporter listening on http://${a.host}:${a.port}/metrics`);
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#o.collector.stop();
    this.#setStatus('stopped');
  }

  /** One scrape's text; concurrent scrapes share the one under way. */
  scrape(): Promise<string> {
    this.#inflight ??= this.#collect().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #collect(): Promise<string> {
    const t0 = performance.now();
    const m = await this.#o.collector.metrics();
    this.#scrapes++;
    this.#selfMetrics(m);
    this.#lastDuration = (performance.now() - t0) / 1000;
    return m.render();
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

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/check/')) {
      handleCheckRequest(this.#t, path.slice('/check/'.length), req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (this.#o.auth && !basicAuthorized(req.headers.authorization, this.#o.auth())) {
      res
        .writeHead(401, {
          'www-authenticate': 'Basic realm="redis-ha"',
          'content-type': 'text/plain',
        })
        .end('authentication required: HTTP Basic as the monitor user (see `redis-ha secrets`)\n');
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
