/** What every command shares: options, running it, printing its result or error. */
import type { Command } from 'commander';
import { RedisHaError, exitCodeFor, isRedisHaError } from '../errors/errors.js';
import { redact } from '../util/redact.js';
import type { CommandContext, CommandResult } from './context.js';

export interface GlobalOpts {
  file?: string;
  stateDir?: string;
  json?: boolean;
}

function context(json: boolean): CommandContext {
  return {
    json,
    progress: (line) => (json ? process.stderr : process.stdout).write(redact(line) + '\n'),
  };
}

function print(r: CommandResult, json: boolean): void {
  if (r.printed) return;
  const clean = r.revealSecrets ? (s: string): string => s : redact;
  if (json) process.stdout.write(clean(JSON.stringify(r.json ?? null, null, 2)) + '\n');
  else if (r.text) process.stdout.write(clean(r.text) + '\n');
}

/** The only place that prints results and errors and sets the exit code. */
export function fail(e: unknown, json: boolean): void {
  const err = isRedisHaError(e)
    ? e
    : new RedisHaError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          error: {
            code: err.code,
            message: redact(err.message),
            hint: err.hint ?? null,
            details: err.details ?? null,
          },
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stderr.write(`error: ${redact(err.message)}\n`);
    if (err.hint) process.stderr.write(`hint: ${redact(err.hint)}\n`);
    // Only bugs get a stack trace, and only on request.
    if (err.code === 'INTERNAL' && process.env.REDIS_HA_DEBUG && e instanceof Error)
      process.stderr.write(`${e.stack ?? ''}\n`);
  }
  process.exitCode = exitCodeFor(err.code);
}

export function withTopology(cmd: Command, json = true): Command {
  cmd.option(
    '-f, --file <path>',
    'topology file (default: ./redis-ha.yaml, else the seed topology)',
  );
  cmd.option('--state-dir <dir>', 'state directory (default: stateDir of the topology)');
  if (json) cmd.option('--json', 'machine-readable output');
  return cmd;
}

export async function run(
  opts: GlobalOpts,
  fn: (ctx: CommandContext) => Promise<CommandResult>,
): Promise<void> {
  const json = opts.json === true;
  try {
    const r = await fn(context(json));
    print(r, json);
    if (r.exitCode !== undefined) process.exitCode = r.exitCode;
  } catch (e) {
    fail(e, json);
  }
}
