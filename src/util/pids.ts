import { readFileSync, readlinkSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/**
 * A PID from a file may have been reused by an unrelated process after a reboot. A redis child
 * of ours runs a redis binary and has its working directory (Redis's `dir`) inside `root`.
 */
export function isOurRedis(pid: number, root: string): boolean {
  try {
    const exe = path.basename(readlinkSync(`/proc/${pid}/exe`));
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return exe.startsWith('redis-') && (cwd === root || cwd.startsWith(root + path.sep));
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the PID is gone (bounded). */
export async function terminate(
  pid: number,
  graceMs: number,
): Promise<'exited' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'exited';
    await sleep(25);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'exited';
  }
  const hard = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < hard) await sleep(25);
  return 'killed';
}
