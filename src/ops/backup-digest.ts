import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { createClient } from '../redis/client.js';
import { parseInfo } from '../redis/info.js';
import { freePort } from '../state/ports.js';

/** Per db: how many keys and an order-independent digest over (key, DUMP of its value). */
export interface DbContent {
  keys: number;
  digest: string;
}
export type Content = Record<string, DbContent>;

function xorInto(acc: Buffer, h: Buffer): void {
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] ?? 0) ^ (h[i] ?? 0);
}

/**
 * Keys and values, not only counts: XOR of sha256(key, DUMP value) over every key. DUMP is the
 * value's RDB serialization, so two servers loaded from the same file agree byte for byte; the
 * XOR makes the SCAN order irrelevant. Read-only (SCAN, DUMP), so safe on a live primary.
 */
export async function contentDigest(c: Redis): Promise<Content> {
  const info = parseInfo(String(await c.info('keyspace')));
  const out: Content = {};
  for (const db of Object.keys(info).filter((k) => /^db\d+$/.test(k))) {
    await c.select(Number(db.slice(2)));
    const acc = Buffer.alloc(32);
    let keys = 0;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, found] = await c.scanBuffer(cursor, 'COUNT', 1000);
      cursor = String(next);
      // SCAN may return a key twice (a rehash between calls): the XOR would cancel it out.
      const batch = found.filter((k) => !seen.has(k.toString('latin1')));
      for (const k of batch) seen.add(k.toString('latin1'));
      const dumps = await Promise.all(batch.map((k) => c.dumpBuffer(k)));
      batch.forEach((k, i) => {
        const d = dumps[i];
        if (!d) return; // expired between SCAN and DUMP
        keys++;
        const h = createHash('sha256').update(String(k.length)).update(':').update(k);
        xorInto(acc, h.update(d).digest());
      });
    } while (cursor !== '0');
    out[db] = { keys, digest: acc.toString('hex') };
  }
  await c.select(0);
  return out;
}

/**
 * Loads an RDB into a throwaway redis-server (own temp dir, free port, no persistence), which
 * proves the file loads, and returns its content digest. Stopped by its PID.
 */
export async function digestOfRdb(rdb: string, redisServer: string): Promise<Content> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-ha-verify-'));
  symlinkSync(path.resolve(rdb), path.join(dir, 'dump.rdb'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  args.push('--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no');
  const child = spawn(redisServer, args, { stdio: 'ignore' });
  try {
    const c = await connectWhenLoaded(port, () => child.exitCode !== null);
    try {
      return await contentDigest(c);
    } finally {
      c.disconnect();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function connectWhenLoaded(port: number, exited: () => boolean): Promise<Redis> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline && !exited()) {
    const c = createClient({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
    try {
      await c.connect();
      const info = parseInfo(String(await c.info('persistence')));
      if (info['loading'] === '0') return c;
    } catch {
      // not listening yet, or LOADING
    }
    c.disconnect();
    await sleep(100);
  }
  throw new RedisHaError('PROCESS_FAILED', 'the backup did not load in a scratch redis-server', {
    hint: 'the RDB may be damaged or from a newer Redis',
  });
}
