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

export interface RequestScan {
  /** Offset just past the last frame visited (or at the frame the visitor refused). */
  consumed: number;
  /** True when the bytes at `consumed` cannot be multiplexed (inline command, huge argument). */
  unsupported: boolean;
}

/**
 * Visits complete request frames (`*N` arrays of bulk strings) of `buf` in order, without
 * allocating per frame (the hot path). Stops at an incomplete frame (the caller keeps the rest),
 * when `visit` returns false, or at a frame it will not handle: an inline command, or an argument
 * larger than `maxBulk` (rather than buffering it whole).
 */
export function forEachRequest(
  buf: Buffer,
  maxBulk: number,
  visit: (start: number, end: number, name: string) => boolean,
): RequestScan {
  let done = 0;
  const len = buf.length;
  while (done < len) {
    const start = done;
    if (buf[start] !== 42) return { consumed: start, unsupported: true };
    let nl = buf.indexOf(LF, start);
    if (nl < 0) break;
    const n = int(buf, start + 1, nl - 1);
    if (!(n > 0) || buf[nl - 1] !== CR) return { consumed: start, unsupported: true };
    let i = nl + 1;
    let name = '';
    let complete = true;
    for (let k = 0; k < n; k++) {
      if (i >= len || buf[i] !== 36) {
        if (i >= len) complete = false;
        else return { consumed: start, unsupported: true };
        break;
      }
      nl = buf.indexOf(LF, i);
      if (nl < 0) {
        complete = false;
        break;
      }
      const size = int(buf, i + 1, nl - 1);
      if (!(size >= 0) || size > maxBulk || buf[nl - 1] !== CR)
        return { consumed: start, unsupported: true };
      const data = nl + 1;
      if (data + size + 2 > len) {
        complete = false;
        break;
      }
      if (k === 0) name = commandName(buf, data, size);
      i = data + size + 2;
    }
    if (!complete) break;
    if (!visit(start, i, name)) return { consumed: start, unsupported: false };
    done = i;
  }
  return { consumed: done, unsupported: false };
}

/** The arguments after the command name of one complete frame `buf[start..end)`. */
export function frameArgs(buf: Buffer, start: number, end: number): Buffer[] {
  const args: Buffer[] = [];
  let nl = buf.indexOf(LF, start);
  const n = int(buf, start + 1, nl - 1);
  let i = nl + 1;
  for (let k = 0; k < n && i < end; k++) {
    nl = buf.indexOf(LF, i);
    const size = int(buf, i + 1, nl - 1);
    if (k > 0) args.push(buf.subarray(nl + 1, nl + 1 + size));
    i = nl + 1 + size + 2;
  }
  return args;
}

export interface RequestFrame {
  start: number;
  end: number;
  /** Lower-case command name. */
  name: string;
}

/** Every complete frame of `buf` as a list (tests and diagnostics; the proxy visits instead). */
export function scanRequests(
  buf: Buffer,
  maxBulk: number,
): RequestScan & { frames: RequestFrame[] } {
  const frames: RequestFrame[] = [];
  const r = forEachRequest(buf, maxBulk, (start, end, name) => {
    frames.push({ start, end, name });
    return true;
  });
  return { ...r, frames };
}
