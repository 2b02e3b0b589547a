import { Redis } from 'ioredis';

export interface Address {
  host: string;
  port: number;
}

/** PEM contents a client presents and trusts (redis-ha's own identity). */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** What a connection authenticates with. */
export interface Auth {
  /** ACL user; undefined: `default`. */
  username?: string | undefined;
  password?: string | undefined;
  /** TLS: trust this CA and present this certificate. */
  tls?: TlsMaterial | undefined;
}

export interface ConnectOptions extends Auth {
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
  /**
   * A reconnecting client reads its credentials here before each reconnection (ioredis takes
   * username/password from its options on every connect), so `secrets rotate` reaches it.
   * Connections already authenticated stay so (Redis keeps them across password changes).
   */
  refresh?: (() => Auth) | undefined;
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
  const refresh = o.refresh;
  if (o.reconnect && refresh)
    client.on('reconnecting', () => {
      const a = refresh();
      client.options.username = a.username;
      client.options.password = a.password;
    });
  return client;
}

/** Runs fn on a fresh, non-reconnecting connection and always closes it. */
export async function withClient<T>(
  a: Address,
  o: ConnectOptions & {
    /** For actions: on failure reset the connection (see `abort`), so it never runs later. */
    abortOnError?: boolean;
  },
  fn: (c: Redis) => Promise<T>,
): Promise<T> {
  const c = createClient(a, o);
  let failed = false;
  try {
    await c.connect();
    return await fn(c);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (failed && o.abortOnError) abort(c);
    else c.disconnect();
  }
}

/**
 * Closes a connection dropping whatever is still queued in the kernel (RST, not FIN). A command
 * that timed out over a dead link is otherwise retransmitted when the link comes back, and runs
 * then: a `SENTINEL FAILOVER` given up during a partition failed the new primary back after it.
 */
export function abort(c: Redis): void {
  const s = c.stream as { resetAndDestroy?: () => void } | undefined;
  try {
    s?.resetAndDestroy?.();
  } catch {
    /* already closed */
  }
  c.disconnect();
}

/** ioredis messages can quote commands; keep only the server/transport text. */
export function redisErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}
