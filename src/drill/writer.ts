import { credentials } from '../state/credentials.js';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secrets } from '../state/secrets.js';
import type { BoundTopology } from '../topology/model.js';

export interface Ack {
  seq: number;
  issuedAt: number;
  ackedAt: number;
  /** The node that acknowledged it: the server's local address from CLIENT INFO (laddr). */
  node: string;
}

export type ClientKind = 'endpoint' | 'sentinel';

/** A client through the endpoint, or ioredis's Sentinel client as the reference. */
export function drillClient(t: BoundTopology, secrets: Secrets, kind: ClientKind): Redis {
  const common = {
    ...credentials(t, secrets, 'app'),
    maxRetriesPerRequest: 0,
    retryStrategy: () => 5,
    // Through a floating address a connect sent while no host holds it gets no answer at all
    // (the proxy accepts at once): a LAN client gives up and retries within 200 ms.
    connectTimeout: t.endpoint.mode === 'vip' ? 200 : 500,
    // No ready check (INFO): after a reconnect the next write goes out at once.
    enableReadyCheck: false,
  };
  const r =
    kind === 'sentinel'
      ? new Redis({
          ...common,
          sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
          name: t.masterName,
          sentinelPassword: secrets.sentinelPassword,
          ...(common.tls ? { sentinelTLS: common.tls, enableTLSForSentinelMode: true } : {}),
          sentinelRetryStrategy: () => 5,
        })
      : t.endpoint.mode === 'vip' && t.endpoint.address
        ? new Redis({ ...common, host: t.endpoint.address, port: t.nodes[0]?.port ?? 6379 })
        : new Redis({ ...common, host: t.endpoint.listen.host, port: t.endpoint.listen.port });
  r.on('error', () => undefined);
  return r;
}

/**
 * Issues uniquely numbered writes one after another (bounded by count), each pipelined with
 * CLIENT INFO on the same connection so the acknowledging node is known exactly.
 */
export class Writer {
  readonly acks: Ack[] = [];
  errors = 0;
  /** Failed writes by the error's first word (NOREPLICAS, READONLY, stalled, ...). */
  readonly errorKinds: Record<string, number> = {};
  /** Writes issued (acknowledged or not): keys 0..issued-1 may exist. */
  issued = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #r: Redis;
  readonly #prefix: string;
  readonly #max: number;

  readonly #stall: { ms: number; renew: () => Redis } | undefined;

  /**
   * `stall`: a write unanswered for `ms` replaces the client with `renew()`, as a real client's
   * socket timeout drops its connection. Through a floating address a cut-off host's connection
   * never closes by itself (no RST across a partition).
   */
  constructor(
    r: Redis,
    prefix: string,
    maxWrites = 2_000_000,
    stall?: { ms: number; renew: () => Redis },
  ) {
    this.#r = r;
    this.#prefix = prefix;
    this.#max = maxWrites;
    this.#stall = stall;
  }

  key(seq: number): string {
    return `${this.#prefix}:${seq}`;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      for (let seq = 0; this.#running && seq < this.#max; seq++) {
        const issuedAt = performance.now();
        this.issued = seq + 1;
        try {
          const write = this.#r
            .pipeline()
            .set(this.key(seq), String(seq))
            .call('CLIENT', 'INFO')
            .exec();
          const res = this.#stall ? await this.#bounded(write, this.#stall) : await write;
          const [setErr, setOk] = res?.[0] ?? [];
          const raw = res?.[1]?.[1];
          const info = typeof raw === 'string' ? raw : '';
          if (!setErr && setOk === 'OK')
            this.acks.push({
              seq,
              issuedAt,
              ackedAt: performance.now(),
              node: /laddr=(\S+)/.exec(info)?.[1] ?? '?',
            });
          else this.#failed(setErr ?? 'unexpected reply');
        } catch (e) {
          this.#failed(e);
          await sleep(2);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** The client writing now (a stall may have replaced the first one). */
  get client(): Redis {
    return this.#r;
  }

  #failed(e: unknown): void {
    this.errors++;
    // The whole first sentence ("NOREPLICAS Not enough good replicas to write"), not a word.
    const text = e instanceof Error ? e.message : String(e);
    const kind = text.split(/\.(?:\s|$)|\n/)[0]?.trim() || 'error';
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
  }

  async #bounded<T>(p: Promise<T>, stall: { ms: number; renew: () => Redis }): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const status = this.#r.status;
        // A fresh client rather than ioredis's own reconnect: after a stall through a floating
        // address it was seen to keep an established connection it no longer read (data left in
        // the socket's receive queue, every write stalling for 30 s).
        this.#r.disconnect();
        this.#r = stall.renew();
        reject(new Error(`stalled(${status})`));
      }, stall.ms);
    });
    p.catch(() => undefined);
    try {
      return await Promise.race([p, stalled]);
    } finally {
      clearTimeout(timer);
    }
  }
}
