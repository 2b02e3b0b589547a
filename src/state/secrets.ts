import { existsSync, statSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { RedisHaError } from '../errors/errors.js';
import { registerSecret } from '../util/redact.js';
import type { TlsMaterial } from '../redis/client.js';
import { readJson, writeJsonAtomic, type StateDir } from './state-dir.js';

export interface Secrets {
  /** requirepass and masterauth of every node; auth-pass of the sentinels. */
  readonly redisPassword: string;
  /** requirepass of the sentinels (also what they use to reach each other). */
  readonly sentinelPassword: string;
  /** The dashboard's token: required when it listens beyond loopback, and for its actions. */
  readonly dashboardToken: string;
  /** One password per ACL user (used when `auth.mode` is `acl`). */
  readonly users: Readonly<Record<AclUser, string>>;
  /** redis-ha's TLS client material when the topology has `tls` (see tls.ts). */
  readonly tls?: TlsMaterial | undefined;
  /** Bumped by every `secrets rotate` step: running daemons reload when it changes. */
  readonly generation?: number | undefined;
  /** During `secrets rotate`: other passwords the servers accept too (see rotate.ts). */
  readonly previous?: PreviousSecrets | undefined;
  /**
   * `adding`: the main passwords are still the old ones and `previous` holds the new ones being
   * added; `switched`: the main ones are the new ones and `previous` the old ones, still accepted.
   */
  readonly rotation?: 'adding' | 'switched' | undefined;
  /**
   * A host bundle's copy names the secrets that host does not need and does not carry
   * (`render --hosts`): they are empty and never regenerated.
   */
  readonly withheld?: readonly string[] | undefined;
}

export type PreviousSecrets = Pick<
  Secrets,
  'redisPassword' | 'sentinelPassword' | 'dashboardToken' | 'users'
>;

export const ACL_USERS = ['admin', 'app', 'replication', 'sentinel', 'monitor'] as const;
export type AclUser = (typeof ACL_USERS)[number];

/** 32 CSPRNG bytes as base64url: 43 chars, ~256 bits, no characters that need quoting. */
export function generatePassword(): string {
  // Never a leading "-": as a command-line value it would read as an option (-P -x..., -a -x...).
  for (;;) {
    const pw = randomBytes(32).toString('base64url');
    if (!pw.startsWith('-')) return pw;
  }
}

const VALID = /^[A-Za-z0-9_-]{32,}$/;

function newUserPasswords(): Record<AclUser, string> {
  return Object.fromEntries(ACL_USERS.map((u) => [u, generatePassword()])) as Record<
    AclUser,
    string
  >;
}

/** A fresh set of secrets (CSPRNG). */
export function newSecrets(): PreviousSecrets {
  return {
    redisPassword: generatePassword(),
    sentinelPassword: generatePassword(),
    dashboardToken: generatePassword(),
    users: newUserPasswords(),
  };
}

/** Writes the secrets file (0600, atomically); never the TLS material (files of their own). */
export function writeSecrets(dir: StateDir, s: Secrets): void {
  writeJsonAtomic(dir.secretsFile, { ...s, tls: undefined }, 0o600);
}

/** Loads the secrets file, creating it (0600) on first use; re-tightens a loosened mode. */
export function loadOrCreateSecrets(dir: StateDir): Secrets {
  dir.ensure();
  const file = dir.secretsFile;
  let secrets = existsSync(file) ? readJson<Partial<Secrets>>(file) : undefined;
  if (!secrets) {
    secrets = newSecrets();
    writeJsonAtomic(file, secrets, 0o600);
  } else {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if (Array.isArray(secrets.withheld)) return scopedSecrets(secrets, file);
    // State dirs from older versions: add what is missing, keep the passwords.
    const users = { ...newUserPasswords(), ...secrets.users };
    if (!secrets.dashboardToken || ACL_USERS.some((u) => secrets?.users?.[u] === undefined)) {
      secrets = { ...secrets, dashboardToken: secrets.dashboardToken || generatePassword(), users };
      writeJsonAtomic(file, secrets, 0o600);
    }
  }
  const { redisPassword, sentinelPassword, dashboardToken = '', previous } = secrets;
  const users = secrets.users ?? newUserPasswords();
  const valid = (s: Partial<PreviousSecrets>): boolean =>
    VALID.test(s.redisPassword ?? '') &&
    VALID.test(s.sentinelPassword ?? '') &&
    VALID.test(s.dashboardToken ?? '') &&
    ACL_USERS.every((u) => VALID.test(s.users?.[u] ?? ''));
  if (
    (previous !== undefined && !valid(previous)) ||
    !redisPassword ||
    !sentinelPassword ||
    !VALID.test(redisPassword) ||
    !VALID.test(sentinelPassword) ||
    !VALID.test(dashboardToken) ||
    ACL_USERS.some((u) => !VALID.test(users[u] ?? ''))
  ) {
    throw new RedisHaError('SECRETS_INVALID', `secrets file ${file} is incomplete or malformed`, {
      hint: 'restore it from a backup; removing it generates new passwords that running servers will reject',
    });
  }
  registerSecret(redisPassword);
  registerSecret(sentinelPassword);
  registerSecret(dashboardToken);
  for (const u of ACL_USERS) registerSecret(users[u]);
  if (previous) {
    registerSecret(previous.redisPassword);
    registerSecret(previous.sentinelPassword);
    registerSecret(previous.dashboardToken);
    for (const u of ACL_USERS) registerSecret(previous.users[u]);
  }
  const generation = typeof secrets.generation === 'number' ? secrets.generation : 0;
  const rotation =
    previous && (secrets.rotation === 'adding' || secrets.rotation === 'switched')
      ? secrets.rotation
      : previous
        ? 'switched'
        : undefined;
  return { redisPassword, sentinelPassword, dashboardToken, users, generation, previous, rotation };
}

/** Reads existing secrets without creating any (for status/checks on a topology never started). */
export function readSecrets(dir: StateDir): Secrets | undefined {
  if (!existsSync(dir.secretsFile)) return undefined;
  return loadOrCreateSecrets(dir);
}

/** A host's copy: what it carries must be valid, what it was not given stays empty. */
function scopedSecrets(s: Partial<Secrets>, file: string): Secrets {
  const withheld = new Set(s.withheld ?? []);
  const get = (name: string, v: string | undefined): string => {
    if (withheld.has(name)) return '';
    if (!v || !VALID.test(v))
      throw new RedisHaError('SECRETS_INVALID', `secrets file ${file} is incomplete or malformed`, {
        hint: 'render and install the host bundle again (`redis-ha render --hosts`, `redis-ha deploy`)',
      });
    registerSecret(v);
    return v;
  };
  const users = Object.fromEntries(
    ACL_USERS.map((u) => [u, get(`users.${u}`, s.users?.[u])]),
  ) as Record<AclUser, string>;
  return {
    redisPassword: get('redisPassword', s.redisPassword),
    sentinelPassword: get('sentinelPassword', s.sentinelPassword),
    dashboardToken: get('dashboardToken', s.dashboardToken),
    users,
    generation: typeof s.generation === 'number' ? s.generation : 0,
    withheld: [...withheld],
  };
}

/** The copy of `s` for a host: only the named secrets, the others withheld (empty). */
export function scopeSecrets(s: Secrets, keep: ReadonlySet<string>): Secrets {
  const pick = (name: string, v: string): string => (keep.has(name) ? v : '');
  const all = [
    'redisPassword',
    'sentinelPassword',
    'dashboardToken',
    ...ACL_USERS.map((u) => `users.${u}`),
  ];
  return {
    redisPassword: pick('redisPassword', s.redisPassword),
    sentinelPassword: pick('sentinelPassword', s.sentinelPassword),
    dashboardToken: pick('dashboardToken', s.dashboardToken),
    users: Object.fromEntries(ACL_USERS.map((u) => [u, pick(`users.${u}`, s.users[u])])) as Record<
      AclUser,
      string
    >,
    generation: s.generation,
    withheld: all.filter((n) => !keep.has(n)),
  };
}
