import { closeSync, openSync, readSync } from 'node:fs';

/** The replication history an RDB file was saved at (its `repl-id` / `repl-offset` aux fields). */
export interface SavedReplication {
  readonly replid: string;
  readonly offset: number;
}

const AUX = 0xfa;
/** The aux fields come first and are short: this much of the file holds them. */
const HEAD_BYTES = 64 * 1024;

/**
 * Reads the aux fields at the head of an RDB file (rdb.c: rdbSaveInfoAuxFields). Undefined when
 * the file is missing, not an RDB, or saved without a replication history (a primary with no
 * replica ever attached). Pure over the bytes; only the head is read, whatever the dataset size.
 */
export function readSavedReplication(file: string): SavedReplication | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return parseSavedReplication(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export function parseSavedReplication(buf: Buffer): SavedReplication | undefined {
  if (buf.subarray(0, 5).toString('latin1') !== 'REDIS') return undefined;
  const aux = new Map<string, string>();
  let at = 9;
  try {
    while (at < buf.length && buf[at] === AUX) {
      const key = readString(buf, at + 1);
      const value = readString(buf, key.next);
      aux.set(key.value, value.value);
      at = value.next;
    }
  } catch {
    return undefined; // a field beyond the head, or an encoding not expected in aux fields
  }
  const replid = aux.get('repl-id');
  const offset = Number(aux.get('repl-offset'));
  if (!replid || !/^[0-9a-f]{40}$/.test(replid) || !Number.isSafeInteger(offset) || offset < 0)
    return undefined;
  return { replid, offset };
}

/** An RDB string (length-prefixed, or an integer encoding); LZF-compressed ones are refused. */
function readString(buf: Buffer, at: number): { value: string; next: number } {
  const b = byteAt(buf, at);
  const kind = b >> 6;
  if (kind === 3) {
    const enc = b & 0x3f;
    if (enc === 0) return { value: String(buf.readInt8(at + 1)), next: at + 2 };
    if (enc === 1) return { value: String(buf.readInt16LE(at + 1)), next: at + 3 };
    if (enc === 2) return { value: String(buf.readInt32LE(at + 1)), next: at + 5 };
    throw new Error(`RDB string encoding ${enc}`);
  }
  const { len, next } = readLength(buf, at, b);
  if (next + len > buf.length) throw new Error('RDB string beyond the head');
  return { value: buf.subarray(next, next + len).toString('latin1'), next: next + len };
}

function readLength(buf: Buffer, at: number, b: number): { len: number; next: number } {
  const kind = b >> 6;
  if (kind === 0) return { len: b & 0x3f, next: at + 1 };
  if (kind === 1) return { len: ((b & 0x3f) << 8) | byteAt(buf, at + 1), next: at + 2 };
  if (b === 0x80) return { len: buf.readUInt32BE(at + 1), next: at + 5 };
  throw new Error(`RDB length encoding ${b}`);
}

function byteAt(buf: Buffer, at: number): number {
  const b = buf[at];
  if (b === undefined) throw new Error('RDB head ends here');
  return b;
}
