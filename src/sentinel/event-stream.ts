import type { Redis } from 'ioredis';
import { createClient } from '../redis/client.js';
import type { Credentials } from '../secrets/credentials.js';
import type { BoundTopology } from '../topology/model.js';

export interface SentinelMessage {
  sentinel: string;
  channel: string;
  payload: string;
}

/** Instance events carry "@ <master> ..." and master events "master <master> ..."; keep ours. */
export function concernsMaster(payload: string, masterName: string): boolean {
  const words = payload.split(' ');
  const at = words.indexOf('@');
  if (at >= 0) return words[at + 1] === masterName;
  return words[1] === masterName || words[0] === masterName;
}

/**
 * Subscribes to every sentinel's event channels (not __sentinel__:hello), filtered by master name.
 * Pub/sub does not replay missed messages: consumers must also reconcile on a timer.
 */
export class SentinelEventStream {
  #subs: Redis[] = [];
  readonly #t: BoundTopology;
  readonly #auth: Credentials;
  readonly #onMessage: (m: SentinelMessage) => void;

  constructor(t: BoundTopology, auth: Credentials, onMessage: (m: SentinelMessage) => void) {
    this.#t = t;
    this.#auth = auth;
    this.#onMessage = onMessage;
  }

  start(): void {
    for (const s of this.#t.sentinels) {
      const c = createClient(s, {
        ...this.#auth,
        reconnect: true,
        timeoutMs: 2000,
        name: 'redis-ha-events',
        subscriber: true,
      });
      c.on('pmessage', (_pattern: string, channel: string, payload: string) => {
        if (channel.startsWith('__sentinel__')) return;
        if (!concernsMaster(payload, this.#t.masterName)) return;
        this.#onMessage({ sentinel: s.name, channel, payload });
      });
      // On every (re)connection; a failure here is followed by another reconnection.
      c.on('ready', () => void c.psubscribe('*').catch(() => undefined));
      void c.connect().catch(() => undefined);
      this.#subs.push(c);
    }
  }

  stop(): void {
    for (const c of this.#subs) c.disconnect();
    this.#subs = [];
  }
}
