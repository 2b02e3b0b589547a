/** Stable error codes; the CLI maps each to an exit code (see `exitCodeFor`). */
export type ErrorCode =
  | 'USAGE'
  | 'TOPOLOGY_INVALID'
  | 'TOPOLOGY_NOT_FOUND'
  | 'PORT_IN_USE'
  | 'REDIS_MISSING'
  | 'DEPENDENCY_MISSING'
  | 'REDIS_TOO_OLD'
  | 'VERSION_REFUSED'
  | 'ALREADY_RUNNING'
  | 'NOT_RUNNING'
  | 'TIMEOUT'
  | 'UNHEALTHY'
  | 'FAILOVER_FAILED'
  | 'PROCESS_FAILED'
  | 'SECRETS_INVALID'
  | 'TLS_FAILED'
  | 'LAB_FAILED'
  | 'DEPLOY_FAILED'
  | 'NEEDS_ROOT'
  | 'INTERNAL';

export interface RedisHaErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra structured facts for --json output (never secrets). */
  details?: Record<string, unknown>;
}

/** The one error base class: a stable `code`, a human `hint`, and the underlying `cause`. */
export class RedisHaError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: RedisHaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RedisHaError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  TOPOLOGY_INVALID: 3,
  TOPOLOGY_NOT_FOUND: 3,
  PORT_IN_USE: 3,
  SECRETS_INVALID: 3,
  TLS_FAILED: 3,
  LAB_FAILED: 3,
  DEPLOY_FAILED: 1,
  NEEDS_ROOT: 4,
  REDIS_MISSING: 4,
  DEPENDENCY_MISSING: 4,
  REDIS_TOO_OLD: 4,
  VERSION_REFUSED: 4,
  ALREADY_RUNNING: 5,
  NOT_RUNNING: 5,
  TIMEOUT: 6,
  UNHEALTHY: 1,
  FAILOVER_FAILED: 1,
  PROCESS_FAILED: 1,
  INTERNAL: 70,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code];
}

export function isRedisHaError(e: unknown): e is RedisHaError {
  return e instanceof RedisHaError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
