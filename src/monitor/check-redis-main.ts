/**
 * The plugins as functions, shared by their executables (check-*-bin.ts, bundled) and
 * `redis-ha check ...`. They import only what a check needs (no CLI framework, no Redis client
 * library): start-up is most of a check's wall time.
 */
import { CHECK_REDIS_USAGE, parseCheckArgs } from './check-args.js';
import { checkRedis } from './check-redis.js';
import { CHECK_ENDPOINT_USAGE, checkEndpoint, parseEndpointArgs } from './check-endpoint.js';
import { CHECK_SENTINEL_USAGE, checkSentinel, parseSentinelArgs } from './check-sentinel.js';
import { runPlugin, type PluginRun } from './plugins.js';

export { runCheckBackup } from './check-backup.js';

type Env = Record<string, string | undefined>;

/** `env` supplies REDISCLI_AUTH; the resident check service passes none. */
export function runCheckRedis(argv: string[], env: Env = process.env): Promise<PluginRun> {
  return runPlugin('REDIS', CHECK_REDIS_USAGE, argv, (a) => parseCheckArgs(a, env), checkRedis);
}

export function runCheckSentinel(argv: string[], env: Env = process.env): Promise<PluginRun> {
  return runPlugin(
    'SENTINEL',
    CHECK_SENTINEL_USAGE,
    argv,
    (a) => parseSentinelArgs(a, env),
    checkSentinel,
  );
}

export function runCheckEndpoint(argv: string[], env: Env = process.env): Promise<PluginRun> {
  return runPlugin(
    'ENDPOINT',
    CHECK_ENDPOINT_USAGE,
    argv,
    (a) => parseEndpointArgs(a, env),
    checkEndpoint,
  );
}
