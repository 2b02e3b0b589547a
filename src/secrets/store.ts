import { existsSync, statSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { RedisHaError } from '../errors/errors.js';
import { registerSecret } from '../util/redact.js';
import { readJson, writeJsonAtomic, type StateDir } from '../runtime/state-dir.js';

export interface Secrets {
  /** requirepass and masterauth of every node; auth-pass of the sentinels. */
  readonly redisPassword: string;
  /** requirepass of the sentinels (also what they use to reach each other). */
  readonly sentinelPassword: string;
  /** The dashboard's token: required when it listens beyond loopback, and for its actions. */
  readonly dashboardToken: string;
  /** One password per ACL user (used when `auth.mode` is `acl`). */
  readonly users: Readonly<Record<AclUser, string>>;
}

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

/** Loads the secrets file, creating it (0600) on first use; re-tightens a loosened mode. */
export function loadOrCreateSecrets(dir: StateDir): Secrets {
  dir.ensure();
  const file = dir.secretsFile;
  let secrets = existsSync(file) ? readJson<Partial<Secrets>>(file) : undefined;
  if (!secrets) {
    secrets = {
      redisPassword: generatePassword(),
      sentinelPassword: generatePassword(),
      dashboardToken: generatePassword(),
      users: newUserPasswords(),
    };
    writeJsonAtomic(file, secrets, 0o600);
  } else {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    // State dirs from older versions: add what is missing, keep the passwords.
    const users = { ...newUserPasswords(), ...secrets.users };
    if (!secrets.dashboardToken || ACL_USERS.some((u) => secrets?.users?.[u] === undefined)) {
      secrets = { ...secrets, dashboardToken: secrets.dashboardToken || generatePassword(), users };
      writeJsonAtomic(file, secrets, 0o600);
    }
  }
  const { redisPassword, sentinelPassword, dashboardToken = '' } = secrets;
  const users = secrets.users ?? newUserPasswords();
  if (
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
  return { redisPassword, sentinelPassword, dashboardToken, users };
}

/** Reads existing secrets without creating any (for status/checks on a topology never started). */
export function readSecrets(dir: StateDir): Secrets | undefined {
  if (!existsSync(dir.secretsFile)) return undefined;
  return loadOrCreateSecrets(dir);
}
