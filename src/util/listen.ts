import type net from 'node:net';
import { RedisHaError } from '../errors/errors.js';

/** Listens; a failure is a RedisHaError naming the daemon (PORT_IN_USE when the port is taken). */
export function listen(
  server: net.Server,
  host: string,
  port: number,
  what: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new RedisHaError(
          e.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'PROCESS_FAILED',
          `${what} cannot listen on ${host}:${port}: ${e.message}`,
          { cause: e },
        ),
      ),
    );
    server.listen({ host, port }, resolve);
  });
}

/** Where the server listens (the real port when asked for 0), else where it was told to. */
export function boundAddress(
  server: net.Server,
  fallback: { host: string; port: number },
): { host: string; port: number } {
  const a = server.address();
  return typeof a === 'object' && a ? { host: a.address, port: a.port } : fallback;
}

/** A loopback host or peer address (127.0.0.0/8, ::1, an IPv4-mapped 127.x, localhost). */
export function isLoopbackHost(h: string | undefined): boolean {
  return (
    h !== undefined &&
    (h === 'localhost' || h === '::1' || h.startsWith('127.') || h.startsWith('::ffff:127.'))
  );
}
