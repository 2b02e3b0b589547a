import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisHaError } from '../errors/errors.js';
import { parseVersion } from '../redis/info.js';

const run = promisify(execFile);

export const MIN_VERSION: readonly [number, number] = [6, 2];

export interface RedisBinaries {
  server: string;
  sentinel: string;
  cli: string;
  version: string;
  major: number;
  minor: number;
}

const INSTALL_HINT =
  "install Debian's packages: as root `apt-get update && apt-get install -y redis-server redis-sentinel redis-tools`" +
  ' (or `sudo ...`); `npm start` and `npm test` do this themselves when run as root';

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True when version >= MIN_VERSION. Pure, for tests. */
export function isSupportedVersion(v: readonly [number, number, number]): boolean {
  return v[0] > MIN_VERSION[0] || (v[0] === MIN_VERSION[0] && v[1] >= MIN_VERSION[1]);
}

let cached: Promise<RedisBinaries> | undefined;

/** Locates redis-server / redis-sentinel / redis-cli and refuses versions below 6.2. */
export function findRedis(): Promise<RedisBinaries> {
  cached ??= (async () => {
    const server = process.env.REDIS_HA_REDIS_SERVER ?? (await which('redis-server'));
    const sentinel = process.env.REDIS_HA_REDIS_SENTINEL ?? (await which('redis-sentinel'));
    const cli = (await which('redis-cli')) ?? 'redis-cli';
    if (!server || !sentinel) {
      const missing = [!server && 'redis-server', !sentinel && 'redis-sentinel']
        .filter(Boolean)
        .join(', ');
      throw new RedisHaError('REDIS_MISSING', `${missing} not found on PATH`, {
        hint: INSTALL_HINT,
      });
    }
    const { stdout } = await run(server, ['--version']);
    const v = parseVersion(stdout);
    if (!v)
      throw new RedisHaError(
        'REDIS_MISSING',
        `cannot read the version of ${server}: "${stdout.trim()}"`,
        { hint: INSTALL_HINT },
      );
    const version = v.join('.');
    if (!isSupportedVersion(v)) {
      throw new RedisHaError(
        'REDIS_TOO_OLD',
        `Redis ${version} at ${server} is too old: redis-ha needs 6.2 or newer (7.x expected)`,
        {
          hint: 'Debian 12 ships 7.0; upgrade the redis-server and redis-sentinel packages',
        },
      );
    }
    return { server, sentinel, cli, version, major: v[0], minor: v[1] };
  })();
  void cached.catch(() => (cached = undefined));
  return cached;
}
