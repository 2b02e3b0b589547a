import { Redis } from 'ioredis';
import type { Credentials } from '../secrets/credentials.js';
import type { TlsMaterial } from '../secrets/tls.js';

export interface Address {
  host: string;
  port: number;
}

export interface ConnectOptions {
  /** ACL user; undefined: `default`. */
  username?: string | undefined;
  password?: string | undefined;
  /** Connect and per-command timeout. */
  timeoutMs?: number;
  /** Per-command timeout when it must differ from the connect timeout (0: none). */
  commandTimeoutMs?: number;
  /** Persistent clients reconnect; probes do not. */
  reconnect?: boolean;
  name?: string;
  /** A pub/sub connection: the caller re-subscribes on 'ready' (ioredis's own re-subscribe
   * rejects unhandled when the socket closes again at once, which would crash the process). */
  subscriber?: boolean;
  /** TLS: trust this CA and present this certificate. */
  tls?: TlsMaterial | undefined;
  /** Whose credentials: a reconnecting client is refreshed by `refreshCredentials`. */
  who?: Credentials['who'];
}

/** Reconnecting clients by whose credentials they use (a rotation changes them). */
const live = new Map<Redis, NonNullable<Credentials['who']>>();

/**
 * After `secrets rotate`: every live reconnecting client authenticates with the new password on
 * its next (re)connection; ioredis reads username/password from its options on each connect.
 * Connections already authenticated stay so (Redis keeps them across password changes).
 */
export function refreshCredentials(
  lookup: (who: NonNullable<Credentials['who']>) => Credentials,
): number {
  for (const [client, who] of live) {
    const c = lookup(who);
    client.options.username = c.username;
    client.options.password = c.password;
  }
  return live.size;
}

export function addr(a: Address): string {
  return `${a.host}:${a.port}`;
}

/**
 * An ioredis client tuned for control-plane use: commands fail fast while disconnected (no
 * offline queue), every command is bounded, and connection errors never reach an unhandled
 * 'error' event.
 */
export function createClient(a: Address, o: ConnectOptions = {}): Redis {
  const timeout = o.timeoutMs ?? 1000;
  const client = new Redis({
    host: a.host,
    port: a.port,
    username: o.username,
    password: o.password,
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeout,
    commandTimeout: o.commandTimeoutMs === 0 ? undefined : (o.commandTimeoutMs ?? timeout),
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    connectionName: o.name,
    autoResubscribe: !o.subscriber,
    tls: o.tls && { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key },
    retryStrategy: o.reconnect ? (n: number) => Math.min(100 * n, 1000) : () => null,
  });
  client.on('error', () => {
    /* surfaced through the failing command instead */
  });
  if (o.reconnect && o.who) {
    live.set(client, o.who);
    client.once('end', () => live.delete(client));
  }
  return client;
}

/** Runs fn on a fresh, non-reconnecting connection and always closes it. */
export async function withClient<T>(
  a: Address,
  o: ConnectOptions,
  fn: (c: Redis) => Promise<T>,
): Promise<T> {
  const c = createClient(a, o);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** ioredis messages can quote commands; keep only the server/transport text. */
export function redisErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}
