import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { terminate } from '../../src/util/pids.js';
import { freePort } from '../../src/state/ports.js';

export interface LoneRedis {
  port: number;
  pid: number;
  log: () => string;
  stop: () => Promise<void>;
}

/** A plain redis-server on a free port in its own temp dir, stopped by its PID. */
export async function startRedis(extra: string[] = []): Promise<LoneRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-ha-lone-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.pid && child.exitCode === null) await terminate(child.pid, 3000);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !log.includes('Ready to accept'); i++) await sleep(50);
  if (!log.includes('Ready to accept') || !child.pid) {
    await stop();
    throw new Error(`redis-server did not start:\n${log}`);
  }
  return { port, pid: child.pid, log: () => log, stop };
}
