/**
 * Frame boundaries of RESP2, found without decoding: what the multiplexing endpoint needs to
 * route each reply to the client that asked and to know each request's command name. Pure.
 */

const CR = 13;
const LF = 10;

/** Parses the decimal integer of a header line `buf[from..crlf)`; NaN when malformed. */
function int(buf: Buffer, from: number, crlf: number): number {
  let i = from;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  if (i >= crlf) return NaN;
  let n = 0;
  for (; i < crlf; i++) {
    const d = (buf[i] ?? 0) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/**
 * Counts complete RESP2 replies in a stream of chunks (arrays nest; bulk strings may span
 * chunks). `feed` calls `onEnd` with the offset in the chunk just past each complete reply.
 */
export class ReplyScanner {
  /** Remaining elements per open array level. */
  #stack: number[] = [];
  /** Bytes of a bulk string (with its CRLF) still to skip. */
  #skip = 0;
  /** A header line cut by the end of the previous chunk. */
  #partial: Buffer | undefined;

  feed(chunk: Buffer, onEnd: (end: number) => void): void {
    let i = 0;
    const len = chunk.length;
    while (i < len) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, len - i);
        i += take;
        this.#skip -= take;
        if (this.#skip === 0) this.#element(i, onEnd);
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        const rest = chunk.subarray(i);
        this.#partial = this.#partial ? Buffer.concat([this.#partial, rest]) : Buffer.from(rest);
        return;
      }
      let line = chunk;
      let from = i;
      let crlf = nl - 1;
      if (this.#partial) {
        line = Buffer.concat([this.#partial, chunk.subarray(i, nl + 1)]);
        this.#partial = undefined;
        from = 0;
        crlf = line.length - 2;
      }
      i = nl + 1;
      if (line[crlf] !== CR) throw new Error('malformed reply: header without CRLF');
      switch (line[from]) {
        case 43: // +
        case 45: // -
        case 58: // :
          this.#element(i, onEnd);
          break;
        case 36: {
          // $
          const n = int(line, from + 1, crlf);
          if (Number.isNaN(n)) throw new Error('malformed bulk length');
          if (n < 0) this.#element(i, onEnd);
          else this.#skip = n + 2;
          break;
        }
        case 42: {
          // *
          const n = int(line, from + 1, crlf);
          if (Number.isNaN(n)) throw new Error('malformed array length');
          if (n <= 0) this.#element(i, onEnd);
          else this.#stack.push(n);
          break;
        }
        default:
          throw new Error(`unexpected reply type byte ${line[from] ?? -1}`);
      }
    }
  }

  /** One element ended at `end`: close the arrays it completes; a reply ends at depth 0. */
  #element(end: number, onEnd: (end: number) => void): void {
    const s = this.#stack;
    while (s.length > 0) {
      const top = s.length - 1;
      const left = (s[top] ?? 1) - 1;
      if (left > 0) {
        s[top] = left;
        return;
      }
      s.pop();
    }
    onEnd(end);
  }
}

const names = new Map<number, string>();

/** The lower-cased command name, without allocating for names seen before (the hot path). */
function commandName(buf: Buffer, at: number, size: number): string {
  if (size > 20) return buf.toString('latin1', at, at + size).toLowerCase();
  let h = size;
  for (let i = at; i < at + size; i++) h = (Math.imul(h, 31) + ((buf[i] ?? 0) | 0x20)) | 0;
  let name = names.get(h);
  if (name === undefined || name.length !== size) {
    name = buf.toString('latin1', at, at + size).toLowerCase();
    // Only names made of letters are cached (| 0x20 folds case only for those).
    if (names.size < 4096 && /^[a-z]+$/.test(name)) names.set(h, name);
  } else if (!sameName(buf, at, name)) {
    name = buf.toString('latin1', at, at + size).toLowerCase();
  }
  return name;
}

function sameName(buf: Buffer, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++)
    if (((buf[at + i] ?? 0) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

export interface RequestFrame {
  start: number;
  end: number;
  /** Lower-case command name. */
  name: string;
  /** Arguments after the name, only for commands `wantArgs` asks for. */
  args?: Buffer[];
}

export interface RequestScan {
  frames: RequestFrame[];
  /** Offset just past the last complete frame. */
  consumed: number;
  /** True when the bytes at `consumed` cannot be multiplexed (inline command, huge argument). */
  unsupported: boolean;
}

/**
 * Complete request frames (`*N` arrays of bulk strings) from `buf`. Stops at an incomplete frame
 * (the caller keeps the rest) or at one it will not handle: an inline command, or an argument
 * larger than `maxBulk` (rather than buffering it whole).
 */
export function scanRequests(
  buf: Buffer,
  wantArgs: (name: string) => boolean,
  maxBulk: number,
): RequestScan {
  const frames: RequestFrame[] = [];
  let i = 0;
  const len = buf.length;
  outer: while (i < len) {
    const start = i;
    if (buf[i] !== 42) return { frames, consumed: start, unsupported: true };
    let nl = buf.indexOf(LF, i);
    if (nl < 0) break;
    const n = int(buf, i + 1, nl - 1);
    if (!(n > 0) || buf[nl - 1] !== CR) return { frames, consumed: start, unsupported: true };
    i = nl + 1;
    let name = '';
    let args: Buffer[] | undefined;
    for (let k = 0; k < n; k++) {
      if (i >= len) break outer;
      if (buf[i] !== 36) return { frames, consumed: start, unsupported: true };
      nl = buf.indexOf(LF, i);
      if (nl < 0) break outer;
      const size = int(buf, i + 1, nl - 1);
      if (!(size >= 0) || size > maxBulk || buf[nl - 1] !== CR)
        return { frames, consumed: start, unsupported: true };
      const data = nl + 1;
      if (data + size + 2 > len) break outer;
      if (k === 0) {
        name = commandName(buf, data, size);
        if (wantArgs(name)) args = [];
      } else args?.push(buf.subarray(data, data + size));
      i = data + size + 2;
    }
    frames.push(args ? { start, end: i, name, args } : { start, end: i, name });
  }
  const consumed = frames.length > 0 ? (frames[frames.length - 1]?.end ?? 0) : 0;
  return { frames, consumed, unsupported: false };
}
