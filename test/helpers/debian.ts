import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * A Debian package's binary, installed as root when missing (like the Redis packages); false when
 * it is missing and cannot be installed (not root, no apt), so the test can skip and say why.
 */
export function ensureDebianTool(binary: string, pkg: string): boolean {
  if (existsSync(binary)) return true;
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    env,
    stdio: 'ignore',
    timeout: 300_000,
  });
  return existsSync(binary);
}
