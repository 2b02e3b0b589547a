import type { Credentials } from '../state/credentials.js';
import net from 'node:net';
import type { NodeSpec } from '../topology/model.js';
import { ReplyScanner } from './resp-scan.js';

/** What a shared upstream needs of a client session. */
export interface MuxClient {
  /** Bytes of this client's replies, in order (a reply may arrive in several pieces). */
  deliver(bytes: Buffer): void;
  /** One complete reply was delivered. */
  replied(): void;
  /** The shared connection is gone: the client must be closed. */
  lost(): void;
}

/** One RESP2 frame: AUTH [user] password, so the connection is authenticated as the endpoint's user. */
export function authFrame(auth: Credentials): Buffer {
  const args =
    auth.username === undefined ? ['AUTH', auth.password] : ['AUTH', auth.username, auth.password];
  return Buffer.concat(
    [Buffer.from(`*${args.length}\r\n`)].concat(
      args.flatMap((a) => {
        const b = Buffer.from(a);
        return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')];
      }),
    ),
  );
}

/**
 * One connection to the primary shared by many clients' stateless commands. Requests are
 * written in arrival order and replies come back in the same order, so a FIFO of the clients
 * that asked routes each reply; bytes are forwarded as they arrive (no reply is buffered whole).
 */
export class SharedUpstream {
  readonly node: NodeSpec<number>;
  readonly ready: Promise<void>;
  readonly #socket: net.Socket;
  readonly #scanner = new ReplyScanner();
  /** Who each pending reply belongs to (null: our own AUTH). */
  #queue: (MuxClient | null)[] = [];
  #head = 0;
  #clients = new Set<MuxClient>();
  #closed = false;
  #corked = false;
  #onClose: () => void;

  constructor(node: NodeSpec<number>, auth: (() => Credentials) | undefined, onClose: () => void) {
    this.node = node;
    this.#onClose = onClose;
    this.#socket = net.connect({ host: node.host, port: node.port, noDelay: true });
    if (auth) {
      this.#queue.push(null);
      this.#socket.write(authFrame(auth()));
    }
    this.ready = new Promise<void>((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('error', reject);
    });
    this.ready.catch(() => undefined);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', () => this.close());
    this.#socket.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Complete request frames of `client`, `count` of them. */
  send(client: MuxClient, frames: Buffer, count: number): boolean {
    this.#clients.add(client);
    for (let k = 0; k < count; k++) this.#queue.push(client);
    // Every client read in this turn of the event loop goes out in one writev: the write
    // syscall, not parsing, is the endpoint's main cost (CPU profile, docs/benchmarks.md).
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    return this.#socket.write(frames);
  }

  detach(client: MuxClient): void {
    this.#clients.delete(client);
  }

  onDrain(fn: () => void): void {
    this.#socket.once('drain', fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    const clients = [...this.#clients];
    this.#clients.clear();
    for (const c of clients) c.lost();
    this.#onClose();
  }

  #onData(chunk: Buffer): void {
    let pos = 0;
    let cur: MuxClient | null | undefined;
    let from = 0;
    const done: MuxClient[] = [];
    const flush = (to: number): void => {
      if (cur && to > from) cur.deliver(chunk.subarray(from, to));
    };
    try {
      this.#scanner.feed(chunk, (end) => {
        const owner = this.#queue[this.#head];
        if (owner === undefined) throw new Error('a reply nobody asked for');
        if (owner === null && chunk[pos] === 45) throw new Error('AUTH refused'); // -ERR
        // Consecutive replies of one client go out in one write.
        if (owner !== cur) {
          flush(pos);
          cur = owner;
          from = pos;
        }
        this.#queue[this.#head++] = null;
        pos = end;
        if (owner) done.push(owner);
      });
    } catch {
      this.close();
      return;
    }
    flush(pos);
    // A reply cut by the chunk's end belongs to the client at the head of the queue.
    if (pos < chunk.length) this.#queue[this.#head]?.deliver(chunk.subarray(pos));
    for (const c of done) c.replied();
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
