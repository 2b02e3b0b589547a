import { RedisHaError } from '../errors/errors.js';
import { LiteClient } from '../redis/lite-client.js';
import { parseCheckArgs } from './check-args.js';
import { askSentinels, auth, sentinelMajority } from './check-peers.js';
import { parseInfoText, type CheckRedisOptions, type CheckResult } from './check-redis.js';
import { CRITICAL, evaluate, OK, stopwatch, WARNING, type Finding } from './nagios.js';

export const CHECK_ENDPOINT_USAGE = `Usage: redis-ha check endpoint -H HOST -p PORT -P PASSWORD --sentinels HOST:PORT,... [options]

Checks the redis-ha endpoint: it answers, and the node it reaches (by run id) is the one a
majority of the sentinels name, acting as a primary. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
Options as check_redis: -w/-c (response time, ms), -t, --user, --password-file,
--sentinel-password, --master-name, -v.`;

/** check_redis's arguments; --sentinels is required here. */
export function parseEndpointArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): ReturnType<typeof parseCheckArgs> {
  const p = parseCheckArgs(argv, env);
  if (p.options.sentinels.length === 0 && !p.help && !p.version)
    throw new RedisHaError('USAGE', '--sentinels HOST:PORT,... is required');
  return p;
}

async function runIdAt(
  host: string,
  port: number,
  o: CheckRedisOptions,
): Promise<Record<string, string>> {
  const c = await LiteClient.connect({ ...o.conn, host, port });
  try {
    await auth(c, o.user, o.password);
    return parseInfoText(String(await c.must('INFO')));
  } finally {
    c.close();
  }
}

export async function checkEndpoint(o: CheckRedisOptions): Promise<CheckResult> {
  const elapsed = stopwatch();
  let through: Record<string, string>;
  try {
    through = await runIdAt(o.conn.host, o.conn.port, o);
  } catch (e) {
    return {
      findings: [
        {
          state: CRITICAL,
          text: `endpoint ${o.conn.host}:${o.conn.port}: ${(e as Error).message}`,
        },
      ],
      perf: [],
      okText: '',
    };
  }
  const ms = elapsed();
  const findings: Finding[] = [
    { state: evaluate(o.t.response, ms), text: `answered in ${ms.toFixed(1)}ms` },
  ];
  const { named, count, needed } = sentinelMajority(await askSentinels(o));
  if (count < needed) {
    findings.push({
      state: WARNING,
      text: `no sentinel majority (${count}/${o.sentinels.length})`,
    });
  } else {
    const i = named.lastIndexOf(':');
    const direct = await runIdAt(named.slice(0, i), Number(named.slice(i + 1)), o).catch(
      () => undefined,
    );
    if (!direct)
      findings.push({ state: CRITICAL, text: `the named primary ${named} does not answer` });
    else if (direct.run_id !== through.run_id)
      findings.push({
        state: CRITICAL,
        text: `reaches port ${through.tcp_port ?? '?'} (run id ${through.run_id?.slice(0, 8) ?? '?'}), but the sentinels name ${named}`,
      });
    else
      findings.push({
        state: OK,
        text: `reaches ${named}, named by ${count}/${o.sentinels.length} sentinels`,
      });
  }
  if (through.role !== 'master')
    findings.push({ state: CRITICAL, text: `reaches a node with role ${through.role ?? '?'}` });
  const okText = findings
    .filter((f) => f.state === OK)
    .map((f) => f.text)
    .reverse()
    .join('; ');
  return {
    findings,
    perf: [{ label: 'response_time', value: ms / 1000, uom: 's', min: 0 }],
    okText,
  };
}
