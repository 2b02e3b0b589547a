import { ASSETS } from './assets.js';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { makeEvent, TypedEmitter, type HaEvent } from '../events/events.js';
import type { TopologyCollector } from '../metrics/collector.js';
import { redact } from '../util/redact.js';
import { boundAddress, listen } from '../util/listen.js';
import { DashboardAccess, sameToken } from './access.js';
import { latestFailover, Timeline, type TimelineEntry, type TimelineSource } from './timeline.js';
import { sampleOf, type Sample } from './sample.js';
import { buildSnapshot, type Snapshot } from './view.js';

export type DashboardStatus = 'idle' | 'listening' | 'stopping' | 'stopped';
export type DashboardAction = 'switchover' | 'failover';

export interface DashboardEvents extends Record<string, unknown> {
  event: HaEvent;
  status: DashboardStatus;
}

/** What the dashboard reads: the collector, or a fake in tests. */
export type DashboardSource = Pick<
  TopologyCollector,
  'topology' | 'start' | 'stop' | 'gather' | 'on'
>;

export interface DashboardOptions {
  collector: DashboardSource;
  host: string;
  port: number;
  /** A function when it can change while serving (`secrets rotate`). */
  token: string | (() => string);
  /** Require the token to view. Default: yes, loopback included (other local users). */
  requireToken?: boolean;
  /** Runs a switchover/failover; undefined: the buttons are not shown. */
  runAction?: ((a: DashboardAction) => Promise<string>) | undefined;
  /** How often the page is updated (a change shows within this + one look; an event at once). */
  periodMs?: number;
}

const HISTORY = 300; // 5 minutes of 1 s samples
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The live dashboard: a page (bundled Preact + uPlot, no CDN) fed by server-sent events: a
 * snapshot of the topology every periodMs, timeline entries as they happen. Read-only unless
 * actions are enabled; beyond loopback every request needs the token.
 */
export class DashboardServer extends TypedEmitter<DashboardEvents> {
  #status: DashboardStatus = 'idle';
  readonly #o: DashboardOptions;
  readonly #server: http.Server;
  readonly #timeline = new Timeline();
  readonly #clients = new Set<http.ServerResponse>();
  readonly #history: Sample[] = [];
  readonly #assets: Record<string, { type: string; body: Buffer }>;
  readonly #open: boolean;
  #snapshot: Snapshot | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** A look in flight, and whether an event asked for another right after it. */
  #looking = false;
  #again = false;
  #lastSample = 0;
  #offMessage: (() => void) | undefined;
  readonly #access: DashboardAccess;

  #token(): string {
    const t = this.#o.token;
    return typeof t === 'function' ? t() : t;
  }

  constructor(o: DashboardOptions) {
    super();
    this.#o = o;
    this.#open = !(o.requireToken ?? true);
    const asset = (f: string, type: string): { type: string; body: Buffer } => ({
      type,
      body: readFileSync(new URL(f, ASSETS)),
    });
    this.#assets = {
      '/': asset('index.html', 'text/html; charset=utf-8'),
      '/app.js': asset('app.js', 'text/javascript; charset=utf-8'),
      '/app.css': asset('app.css', 'text/css; charset=utf-8'),
    };
    this.#access = new DashboardAccess({
      token: () => this.#token(),
      open: this.#open,
      host: o.host,
      headers: HEADERS,
      onLogin: () => this.#event('opened with a one-time login link'),
    });
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  get status(): DashboardStatus {
    return this.#status;
  }

  get address(): { host: string; port: number } {
    return boundAddress(this.#server, this.#o);
  }

  get url(): string {
    const a = this.address;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `http://${host}:${a.port}/`;
  }

  /** Supervisor decisions, endpoint switches and other daemons' events join the timeline. */
  addEvent(e: HaEvent): void {
    // Sentinel events come from the dashboard's own subscription (once, with their channel).
    if (e.kind === 'progress' || e.kind === 'sentinel') return;
    const source: TimelineSource =
      e.member === 'endpoint' || e.member === 'read endpoint'
        ? 'endpoint'
        : e.member === 'monitor' || e.member === 'exporter'
          ? 'monitor'
          : 'supervisor';
    this.#push({ at: Date.parse(e.ts), source, member: e.member, text: e.message, level: e.level });
  }

  async start(): Promise<void> {
    const c = this.#o.collector;
    c.start();
    this.#offMessage = c.on('message', (m) => {
      this.#push({
        at: m.at,
        source: 'sentinel',
        member: m.sentinel,
        channel: m.channel,
        text: m.payload,
        level: m.channel === '+tilt' || m.channel === '+odown' ? 'warn' : 'info',
      });
      this.#lookNow();
    });
    this.#access.restart();
    try {
      await listen(this.#server, this.#o.host, this.#o.port, 'dashboard');
    } catch (e) {
      this.#offMessage();
      c.stop();
      throw e;
    }
    this.#setStatus('listening');
    this.#tick();
    const guard = this.#open ? 'no token needed to view' : 'token required';
    this.#event(
      `dashboard at ${this.url} (${guard}${this.#o.runAction ? '; actions enabled' : ''})`,
    );
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#setStatus('stopping');
    clearTimeout(this.#timer);
    this.#offMessage?.();
    for (const r of this.#clients) r.end();
    this.#clients.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#o.collector.stop();
    this.#setStatus('stopped');
  }

  /** A sentinel event: something changed, so look now rather than at the next period. */
  #lookNow(): void {
    if (this.#looking) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#tick();
  }

  #tick(): void {
    if (this.#status !== 'listening') return;
    this.#looking = true;
    void this.#o.collector
      .gather()
      .then((d) => {
        const s = buildSnapshot(this.#o.collector.topology, d);
        this.#snapshot = s;
        if (s.at - this.#lastSample >= 1000) {
          this.#lastSample = s.at;
          this.#history.push(sampleOf(s));
          if (this.#history.length > HISTORY) this.#history.shift();
        }
        this.#broadcast('snapshot', this.#view(s));
      })
      .catch(() => undefined)
      .finally(() => {
        // Nobody watching: one look a second keeps the charts' history.
        const period = this.#clients.size > 0 ? (this.#o.periodMs ?? 500) : 1000;
        this.#looking = false;
        const wait = this.#again ? 0 : period;
        this.#again = false;
        if (this.#status === 'listening') this.#timer = setTimeout(() => this.#tick(), wait);
      });
  }

  #view(s: Snapshot): unknown {
    return {
      ...s,
      actions: this.#o.runAction !== undefined,
      latestFailover: latestFailover(this.#timeline.entries),
    };
  }

  #push(e: Omit<TimelineEntry, 'id'>): void {
    const entry = this.#timeline.add({ ...e, text: redact(e.text) });
    this.#broadcast('timeline', entry);
  }

  #broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const r of this.#clients) r.write(frame);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { ...HEADERS, 'content-type': type }).end(body);
    };
    if (this.#access.gate(req, res, url)) return;
    if (url.pathname.startsWith('/api/action/'))
      return this.#action(req, res, url.pathname.slice(12));
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, 'text/plain', 'method not allowed\n');
    const asset = this.#assets[url.pathname];
    if (asset) return send(200, asset.type, asset.body);
    if (url.pathname === '/api/snapshot')
      return send(
        200,
        'application/json',
        JSON.stringify(this.#snapshot ? this.#view(this.#snapshot) : null),
      );
    if (url.pathname === '/events') return this.#subscribe(res);
    send(404, 'text/plain', 'not found\n');
  }

  #subscribe(res: http.ServerResponse): void {
    res.writeHead(200, {
      ...HEADERS,
      'content-type': 'text/event-stream',
      connection: 'keep-alive',
    });
    const initial = {
      history: this.#history,
      timeline: this.#timeline.entries,
      snapshot: this.#snapshot ? this.#view(this.#snapshot) : null,
    };
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify(initial)}\n\n`);
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
  }

  /** POST with the token in a header (a cross-site form cannot send one) from this origin only. */
  #action(req: http.IncomingMessage, res: http.ServerResponse, name: string): void {
    const reply = (status: number, body: object): void => {
      res
        .writeHead(status, { ...HEADERS, 'content-type': 'application/json' })
        .end(JSON.stringify(body));
    };
    const run = this.#o.runAction;
    if (!run) return reply(404, { error: 'actions are disabled (dashboard.actions: false)' });
    if (req.method !== 'POST') return reply(405, { error: 'use POST' });
    if (name !== 'switchover' && name !== 'failover')
      return reply(404, { error: 'no such action' });
    const origin = req.headers.origin;
    if (origin !== undefined && new URL(origin).host !== req.headers.host)
      return reply(403, { error: 'cross-origin request refused' });
    const header = req.headers['x-redis-ha-token'];
    if (!sameToken(typeof header === 'string' ? header : undefined, this.#token()))
      return reply(403, { error: 'wrong or missing token' });
    this.#push({
      at: Date.now(),
      source: 'dashboard',
      text: `${name} requested from the dashboard`,
      level: 'warn',
    });
    run(name).then(
      (message) => {
        this.#push({
          at: Date.now(),
          source: 'dashboard',
          text: `${name}: ${message}`,
          level: 'info',
        });
        reply(200, { ok: true, message: redact(message) });
      },
      (e: unknown) => {
        const message = redact(e instanceof Error ? e.message : String(e));
        this.#push({
          at: Date.now(),
          source: 'dashboard',
          text: `${name} failed: ${message}`,
          level: 'error',
        });
        reply(500, { ok: false, error: message });
      },
    );
  }

  #event(message: string): void {
    this.emit('event', makeEvent('status', message, { member: 'dashboard' }));
  }

  #setStatus(s: DashboardStatus): void {
    this.#status = s;
    this.emit('status', s);
  }
}
