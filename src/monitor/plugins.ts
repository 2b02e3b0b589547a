import { isRedisHaError } from '../errors/errors.js';
import type { CheckResult } from './check-redis.js';
import { formatOutput, UNKNOWN, type State } from './nagios.js';

export interface PluginRun {
  text: string;
  code: State;
}

interface Parsed<O> {
  help?: boolean;
  version?: boolean;
  verbose: boolean;
  timeoutMs: number;
  options: O;
}

/**
 * Runs one plugin the monitoring-plugins way: UNKNOWN with the usage on bad arguments, UNKNOWN on
 * its own timeout (-t), the status line and perfdata otherwise. Never throws.
 */
export async function runPlugin<O extends { conn: { host: string; port: number } }>(
  service: string,
  usage: string,
  argv: string[],
  parse: (argv: string[]) => Parsed<O>,
  check: (o: O) => Promise<CheckResult>,
): Promise<PluginRun> {
  let parsed: Parsed<O>;
  try {
    parsed = parse(argv);
  } catch (e) {
    const msg = isRedisHaError(e) ? e.message : String(e);
    return { text: `${service} UNKNOWN - ${msg}\n${usage}`, code: UNKNOWN };
  }
  if (parsed.help) return { text: usage, code: UNKNOWN };
  if (parsed.version)
    return { text: `${service.toLowerCase()} plugin (redis-ha) 0.1.0`, code: UNKNOWN };
  const { timeoutMs, verbose, options } = parsed;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PluginRun>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          text: `${service} UNKNOWN - no answer from ${options.conn.host}:${options.conn.port} within ${timeoutMs / 1000}s (-t)`,
          code: UNKNOWN,
        }),
      timeoutMs,
    );
  });
  const run = check(options).then(
    (r): PluginRun => {
      const out = formatOutput(service, r.findings, r.perf, r.okText, verbose);
      return { text: out.text, code: out.state };
    },
    (e: unknown): PluginRun => ({
      text: `${service} UNKNOWN - ${isRedisHaError(e) ? e.message : String(e)}`,
      code: UNKNOWN,
    }),
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
