/**
 * check_redis as a function, shared by the `check_redis` executable (check-redis-bin.ts) and
 * `redis-ha check redis`. It imports only what a check needs (no CLI framework, no Redis client
 * library): start-up is most of a check's wall time.
 */
import { isRedisHaError } from '../errors/errors.js';
import { CHECK_REDIS_USAGE, parseCheckArgs } from './check-args.js';
import { checkRedis } from './check-redis.js';
import { formatOutput, UNKNOWN, type State } from './nagios.js';

const SERVICE = 'REDIS';

/** Runs check_redis with `argv`; returns the text to print and the exit code. Never throws. */
export async function runCheckRedis(argv: string[]): Promise<{ text: string; code: State }> {
  let parsed;
  try {
    parsed = parseCheckArgs(argv);
  } catch (e) {
    const msg = isRedisHaError(e) ? e.message : String(e);
    return { text: `${SERVICE} UNKNOWN - ${msg}\n${CHECK_REDIS_USAGE}`, code: UNKNOWN };
  }
  if (parsed.help) return { text: CHECK_REDIS_USAGE, code: UNKNOWN };
  if (parsed.version) return { text: 'check_redis (redis-ha) 0.1.0', code: UNKNOWN };
  const { timeoutMs, verbose, options } = parsed;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ text: string; code: State }>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          text: `${SERVICE} UNKNOWN - no answer from ${options.conn.host}:${options.conn.port} within ${timeoutMs / 1000}s (-t)`,
          code: UNKNOWN,
        }),
      timeoutMs,
    );
  });
  const check = checkRedis(options).then(
    (r) => {
      const out = formatOutput(SERVICE, r.findings, r.perf, r.okText, verbose);
      return { text: out.text, code: out.state };
    },
    (e: unknown) => ({
      text: `${SERVICE} UNKNOWN - ${isRedisHaError(e) ? e.message : String(e)}`,
      code: UNKNOWN as State,
    }),
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
