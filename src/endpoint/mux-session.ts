import type { Credentials } from '../state/credentials.js';
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { NodeSpec } from '../topology/model.js';
import { forEachRequest, frameArgs } from './resp-scan.js';
import { authFrame, type MuxClient, type SharedUpstream } from './shared-upstream.js';

/**
 * Commands that may share a connection: one reply each, no blocking, no connection state
 * (database, protocol, name, transaction, subscription, tracking). Anything else moves the client
 * to a connection of its own, transparently. INFO (ioredis's ready check) reports the server,
 * never the connection; CLIENT SETNAME, ID, INFO ... concern the connection, so they move it
 * (CLIENT SETINFO excepted, below).
 */
export const MUX_SAFE: ReadonlySet<string> = new Set(
  (
    'get set setnx setex psetex getset getdel getex mget mset msetnx incr incrby incrbyfloat decr ' +
    'decrby append strlen getrange setrange exists del unlink type ttl pttl expire pexpire ' +
    'expireat pexpireat persist hget hset hsetnx hmget hmset hgetall hdel hexists hincrby ' +
    'hincrbyfloat hkeys hvals hlen hstrlen lpush rpush lpushx rpushx lpop rpop llen lrange lindex ' +
    'lset lrem ltrim linsert sadd srem smembers sismember smismember scard spop srandmember zadd ' +
    'zrem zscore zincrby zcard zcount zrange zrangebyscore zrevrange zrank zrevrank zmscore pfadd ' +
    'pfcount ping echo dbsize info'
  ).split(' '),
);

/**
 * CLIENT SETINFO (ioredis and node-redis send it on connect) only labels a connection for
 * CLIENT LIST; unknown before Redis 7.2, where the shared connection returns the same error.
 */
function sharedSubcommand(name: string, buf: Buffer, start: number, end: number): boolean {
  return name === 'client' && frameArgs(buf, start, end)[0]?.toString().toLowerCase() === 'setinfo';
}

/** Arguments larger than this go to a connection of their own rather than being buffered. */
const MAX_BULK = 64 * 1024;
const OK = Buffer.from('+OK\r\n');
/** Unread replies a multiplexed client may leave in the endpoint before it is disconnected. */
export const OUTPUT_LIMIT = 64 * 1024 * 1024;

type Mode = 'mux' | 'switching' | 'pipe' | 'closed';

/**
 * A client of the multiplexing endpoint. Its stateless commands share the primary's connection;
 * AUTH with the topology password is answered here; the first command that needs a connection of
 * its own (MULTI, SUBSCRIBE, BLPOP, HELLO, SELECT, CLIENT ..., a wrong password, an inline
 * command) moves it, once its shared replies are in, to a dedicated connection (re-authenticated)
 * that is then piped byte for byte.
 */
export class MuxSession implements MuxClient {
  readonly client: net.Socket;
  readonly target: string;
  readonly #node: NodeSpec<number>;
  readonly #up: SharedUpstream;
  /** The endpoint's current credentials (a rotation changes them while sessions live). */
  readonly #auth: (() => Credentials) | undefined;
  readonly #onClose: () => void;
  #mode: Mode = 'mux';
  #authed: boolean;
  #outstanding = 0;
  #pending: Buffer | undefined;
  #held: Buffer[] = [];
  #dedicated: net.Socket | undefined;
  #holding = false;
  readonly #onData = (chunk: Buffer): void => this.#read(chunk);

  readonly #onSlow: ((unreadBytes: number) => void) | undefined;

  constructor(
    client: net.Socket,
    up: SharedUpstream,
    auth: (() => Credentials) | undefined,
    onClose: () => void,
    onSlow?: (unreadBytes: number) => void,
  ) {
    this.client = client;
    this.#up = up;
    this.#node = up.node;
    this.target = up.node.name;
    this.#auth = auth;
    this.#authed = !auth;
    this.#onClose = onClose;
    this.#onSlow = onSlow;
  }

  start(): void {
    this.client.on('data', this.#onData);
    this.client.on('close', () => this.close());
  }

  deliver(bytes: Buffer): void {
    if (this.#mode === 'closed') return;
    this.client.write(bytes);
    // Replies share one upstream: a client that never reads them must not grow the endpoint's
    // memory without bound (Redis's "client-output-buffer-limit", for this hop).
    if (this.client.writableLength > OUTPUT_LIMIT) {
      this.#onSlow?.(this.client.writableLength);
      this.close();
    }
  }

  replied(): void {
    this.#outstanding--;
    if (this.#mode === 'switching' && this.#outstanding === 0) this.#openDedicated();
  }

  lost(): void {
    this.close();
  }

  /** Reads nothing more from the client; replies still reach it until close(). */
  hold(): void {
    this.#holding = true;
    if (this.#dedicated) this.client.unpipe(this.#dedicated);
    this.client.removeListener('data', this.#onData);
    this.client.pause();
  }

  close(): void {
    if (this.#mode === 'closed') return;
    this.#mode = 'closed';
    this.#up.detach(this);
    this.client.destroy();
    this.#dedicated?.destroy();
    this.#onClose();
  }

  #read(chunk: Buffer): void {
    if (this.#mode === 'switching') {
      this.#held.push(chunk);
      return;
    }
    if (this.#mode !== 'mux') return;
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    let from = 0;
    let count = 0;
    let stop = -1;
    const flush = (to: number): void => {
      if (count > 0 && !this.#up.send(this, buf.subarray(from, to), count)) {
        this.client.pause();
        this.#up.onDrain(() => this.#mode === 'mux' && this.client.resume());
      }
      this.#outstanding += count;
      count = 0;
      from = to;
    };
    const scan = forEachRequest(buf, MAX_BULK, (start, end, name) => {
      if (this.#authed && (MUX_SAFE.has(name) || sharedSubcommand(name, buf, start, end))) {
        count++;
        return true;
      }
      flush(start);
      if (name === 'auth' && this.#outstanding === 0 && this.#passwordMatches(buf, start, end)) {
        this.#authed = true;
        this.client.write(OK);
        from = end;
        return true;
      }
      stop = start;
      return false;
    });
    if (stop >= 0) return this.#toDedicated(buf.subarray(stop));
    flush(scan.consumed);
    if (scan.unsupported) return this.#toDedicated(buf.subarray(scan.consumed));
    if (scan.consumed < buf.length) this.#pending = Buffer.from(buf.subarray(scan.consumed));
  }

  /** `AUTH <password>` (the default user) or `AUTH <user> <password>`: the endpoint's own user. */
  #passwordMatches(buf: Buffer, start: number, end: number): boolean {
    if (!this.#auth) return false;
    const auth = this.#auth();
    const args = frameArgs(buf, start, end);
    const [a, b] = args;
    const [user, given] =
      args.length === 1 ? ['default', a] : args.length === 2 ? [a?.toString(), b] : [];
    if (user !== (auth.username ?? 'default') || given === undefined) return false;
    // The current password, or during a rotation the one it replaces; compared in constant time.
    let ok = false;
    for (const pw of [auth.password, ...(auth.also ?? [])]) {
      const want = Buffer.from(pw);
      if (given.length === want.length && timingSafeEqual(given, want)) ok = true;
    }
    return ok;
  }

  #toDedicated(rest: Buffer): void {
    this.#mode = 'switching';
    this.client.pause();
    this.#held.push(rest);
    if (this.#outstanding === 0) this.#openDedicated();
  }

  #openDedicated(): void {
    this.#up.detach(this);
    const d = net.connect({ host: this.#node.host, port: this.#node.port, noDelay: true });
    this.#dedicated = d;
    d.on('error', () => this.close());
    d.on('close', () => this.close());
    d.once('connect', () => {
      if (!(this.#authed && this.#auth)) return this.#pipe(d);
      // Replay the client's authentication; swallow the +OK it already had from us.
      let got = Buffer.alloc(0);
      const onAuth = (b: Buffer): void => {
        got = Buffer.concat([got, b]);
        if (got.length < OK.length) return;
        d.removeListener('data', onAuth);
        if (!got.subarray(0, OK.length).equals(OK)) return this.close();
        this.#pipe(d);
      };
      d.on('data', onAuth);
      d.write(authFrame(this.#auth()));
    });
  }

  #pipe(d: net.Socket): void {
    if (this.#mode !== 'switching' || this.#holding) return;
    this.#mode = 'pipe';
    this.client.removeListener('data', this.#onData);
    for (const b of this.#held) if (b.length > 0) d.write(b);
    this.#held = [];
    this.client.pipe(d);
    d.pipe(this.client);
    this.client.resume();
  }
}
