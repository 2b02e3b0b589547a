import { parseArgs } from 'node:util';
import { RedisHaError, isRedisHaError } from '../errors/errors.js';
import { newestBackup } from '../state/backups.js';
import { parseDuration } from '../util/units.js';
import type { CheckResult } from './check-redis.js';
import {
  CRITICAL,
  formatOutput,
  parseRange,
  UNKNOWN,
  evaluate,
  type Thresholds,
} from './nagios.js';
import type { PluginRun } from './plugins.js';

export const CHECK_BACKUP_USAGE = `Usage: redis-ha check backup -d DIR [-w AGE] [-c AGE] [-v]

Checks the age of the newest backup in DIR (the topology's backup.dir: a directory of backups,
each with the manifest redis-ha wrote). AGE: a duration such as 90m, 2h (default -w 2h -c 6h).
Exit 0 OK, 1 WARNING (older than -w), 2 CRITICAL (older than -c, or no backup), 3 UNKNOWN.`;

export interface BackupCheckOptions {
  dir: string;
  warnS: number;
  critS: number;
}

/** Pure: the age of the newest backup (epoch ms, or none) against the thresholds. */
export function backupAge(
  o: BackupCheckOptions,
  newest: number | undefined,
  now: number,
): CheckResult {
  const thresholds: Thresholds = { warn: parseRange(`${o.warnS}`), crit: parseRange(`${o.critS}`) };
  if (newest === undefined)
    return { findings: [{ state: CRITICAL, text: `no backup in ${o.dir}` }], perf: [], okText: '' };
  const age = Math.max(0, now - newest) / 1000;
  const state = evaluate(thresholds, age);
  const text = `newest backup ${age.toFixed(1)}s old (${new Date(newest).toISOString()})`;
  return {
    findings: [{ state, text }],
    perf: [{ label: 'age', value: age, uom: 's', thresholds, min: 0 }],
    okText: text,
  };
}

function seconds(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : parseDuration(v);
  if (ms === undefined) throw new RedisHaError('USAGE', `${flag}: not a duration: ${v}`);
  return ms / 1000;
}

export function parseBackupArgs(
  argv: string[],
): BackupCheckOptions & { help: boolean; verbose: boolean } {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        dir: { type: 'string', short: 'd' },
        warning: { type: 'string', short: 'w' },
        critical: { type: 'string', short: 'c' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new RedisHaError('USAGE', (e as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const s = (k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const help = v.help === true;
  const dir = s('dir');
  if (!dir && !help) throw new RedisHaError('USAGE', '-d DIR is required');
  const warnS = seconds(s('warning'), '-w', 7200);
  const critS = seconds(s('critical'), '-c', 21600);
  return { dir: dir ?? '', warnS, critS, help, verbose: v.verbose === true };
}

/** The plugin: UNKNOWN with the usage on bad arguments; never throws. */
export function runCheckBackup(argv: string[], now = Date.now()): Promise<PluginRun> {
  try {
    const o = parseBackupArgs(argv);
    if (o.help) return Promise.resolve({ text: CHECK_BACKUP_USAGE, code: UNKNOWN });
    const r = backupAge(o, newestBackup(o.dir)?.time, now);
    const out = formatOutput('BACKUP', r.findings, r.perf, r.okText, o.verbose);
    return Promise.resolve({ text: out.text, code: out.state });
  } catch (e) {
    const msg = isRedisHaError(e) ? e.message : String(e);
    return Promise.resolve({
      text: `BACKUP UNKNOWN - ${msg}\n${CHECK_BACKUP_USAGE}`,
      code: UNKNOWN,
    });
  }
}
