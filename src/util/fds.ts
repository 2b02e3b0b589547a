import { readdirSync, readFileSync } from 'node:fs';

/** The soft RLIMIT_NOFILE of this process (Linux), if it can be read. */
export function readFdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How many file descriptors this process has open (Linux), if it can be read. */
export function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
