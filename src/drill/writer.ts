import { credentials } from '../secrets/credentials.js';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secrets } from '../secrets/store.js';
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
    connectTimeout: 500,
    // The app user may not run INFO (ioredis's ready check): it would only warn and skip.
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
  /** Writes issued (acknowledged or not): keys 0..issued-1 may exist. */
  issued = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #r: Redis;
  readonly #prefix: string;
  readonly #max: number;

  constructor(r: Redis, prefix: string, maxWrites = 2_000_000) {
    this.#r = r;
    this.#prefix = prefix;
    this.#max = maxWrites;
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
          const res = await this.#r
            .pipeline()
            .set(this.key(seq), String(seq))
            .call('CLIENT', 'INFO')
            .exec();
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
          else this.errors++;
        } catch {
          this.errors++;
          await sleep(2);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}
