import net from 'node:net';
import { readFileSync } from 'node:fs';

/**
 * A minimal RESP2 client for the monitoring plugins, which run once per check: loading ioredis
 * costs more start-up time than a whole check (~50 ms; Node itself starts in ~22 ms here).
 * One connection, commands in order, replies decoded; nothing else.
 */

export type Reply = string | number | null | Error | Reply[];

export interface LiteOptions {
  host: string;
  port: number;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; insecure?: boolean };
}

export class ReplyError extends Error {}

/** A reply no Redis sends: the plugin says UNKNOWN/CRITICAL with this, never crashes. */
export class ProtocolError extends Error {}

/** Deeper than any reply the plugins ask for (SENTINEL REPLICAS is 2 levels). */
const MAX_DEPTH = 16;
const MAX_BULK = 512 * 1024 * 1024;

/** Decodes one RESP2 reply at `buf[at]`; undefined when incomplete; ProtocolError when invalid. */
export function decodeReply(
  buf: Buffer,
  at: number,
  depth = 0,
): { value: Reply; end: number } | undefined {
  if (depth > MAX_DEPTH) throw new ProtocolError('reply nested too deep');
  const nl = buf.indexOf(10, at);
  if (nl < 0) return undefined;
  const line = buf.toString('utf8', at + 1, nl - 1);
  switch (buf[at]) {
    case 43: // +
      return { value: line, end: nl + 1 };
    case 45: // -
      return { value: new ReplyError(line), end: nl + 1 };
    case 58: // :
      return { value: Number(line), end: nl + 1 };
    case 36: {
      const n = Number(line);
      if (!Number.isInteger(n) || n > MAX_BULK)
        throw new ProtocolError(`bad bulk length ${line.slice(0, 20)}`);
      if (n < 0) return { value: null, end: nl + 1 };
      if (buf.length < nl + 1 + n + 2) return undefined;
      return { value: buf.toString('utf8', nl + 1, nl + 1 + n), end: nl + 1 + n + 2 };
    }
    case 42: {
      const n = Number(line);
      if (!Number.isInteger(n)) throw new ProtocolError(`bad array length ${line.slice(0, 20)}`);
      if (n < 0) return { value: null, end: nl + 1 };
      const items: Reply[] = [];
      let end = nl + 1;
      for (let i = 0; i < n; i++) {
        const r = decodeReply(buf, end, depth + 1);
        if (!r) return undefined;
        items.push(r.value);
        end = r.end;
      }
      return { value: items, end };
    }
    default:
      throw new ProtocolError(`unexpected reply byte ${buf[at] ?? -1}`);
  }
}

function encode(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

export class LiteClient {
  readonly #socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static async connect(o: LiteOptions): Promise<LiteClient> {
    // node:tls costs start-up time: loaded only for a TLS check.
    const tls = o.tls ? await import('node:tls') : undefined;
    return new Promise((resolve, reject) => {
      const s =
        o.tls && tls
          ? tls.connect({
              host: o.host,
              port: o.port,
              servername: o.tls.servername ?? (net.isIP(o.host) ? undefined : o.host),
              ca: o.tls.ca ? readFileSync(o.tls.ca) : undefined,
              cert: o.tls.cert ? readFileSync(o.tls.cert) : undefined,
              key: o.tls.key ? readFileSync(o.tls.key) : undefined,
              rejectUnauthorized: !o.tls.insecure,
            })
          : net.connect({ host: o.host, port: o.port, noDelay: true });
      const ready = o.tls ? 'secureConnect' : 'connect';
      s.once(ready, () => {
        s.removeListener('error', reject);
        resolve(new LiteClient(s));
      });
      s.once('error', reject);
    });
  }

  call(...args: string[]): Promise<Reply> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#socket.write(encode(args));
    });
  }

  /** Like call, but a Redis error reply rejects. */
  async must(...args: string[]): Promise<Reply> {
    const r = await this.call(...args);
    if (r instanceof Error) throw r;
    return r;
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    let at = 0;
    try {
      for (;;) {
        const r = at < this.#buf.length ? decodeReply(this.#buf, at) : undefined;
        if (!r) break;
        at = r.end;
        this.#waiting.shift()?.resolve(r.value);
      }
    } catch (e) {
      // Not Redis speaking: every pending command fails with it and the connection goes.
      this.#fail(new ProtocolError(`not a Redis reply: ${(e as Error).message}`));
      this.#socket.destroy();
      return;
    }
    this.#buf = this.#buf.subarray(at);
  }

  #fail(e: Error): void {
    this.#error ??= e;
    for (const w of this.#waiting.splice(0)) w.reject(e);
  }
}
