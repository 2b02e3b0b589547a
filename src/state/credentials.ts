import type { Auth } from '../redis/client.js';
import type { Topology } from '../topology/model.js';
import type { AclUser, Secrets } from './secrets.js';

/** What a connection to a data node authenticates as. */
export interface Credentials extends Auth {
  password: string;
  /** Whose credentials these are. */
  who?: AclUser | 'sentinels' | undefined;
  /** During a rotation: the previous password, still accepted (the endpoint's local AUTH). */
  also?: readonly string[] | undefined;
}

/**
 * The credentials of each role: in `acl` mode its own user, least privilege; in `password`
 * mode the one shared password. Every connection to a node goes through here.
 */
export function credentials(
  t: Pick<Topology, 'auth' | 'tls'>,
  secrets: Secrets,
  who: AclUser,
): Credentials {
  const tls = t.tls.enabled ? secrets.tls : undefined;
  const p = secrets.previous;
  if (t.auth.mode === 'password')
    return { password: secrets.redisPassword, tls, who, also: p && [p.redisPassword] };
  return { username: who, password: secrets.users[who], tls, who, also: p && [p.users[who]] };
}

/** How redis-ha authenticates to the sentinels. */
export function sentinelCredentials(t: Pick<Topology, 'tls'>, secrets: Secrets): Credentials {
  return {
    password: secrets.sentinelPassword,
    tls: t.tls.enabled ? secrets.tls : undefined,
    who: 'sentinels',
    also: secrets.previous && [secrets.previous.sentinelPassword],
  };
}

/**
 * What common clients send with default options, given back to `app` after `-@dangerous`: INFO
 * (ioredis's ready check, which in Sentinel mode also checks the role; monitoring libraries;
 * no secret in its output). The connection's own CLIENT subcommands and HELLO are not
 * @admin/@dangerous; named so that they stay. ACL: WHOAMI only. docs/security.md says why.
 */
export const APP_ALLOWANCES =
  '+info +client|setname +client|getname +client|id +client|info +hello -acl +acl|whoami';

/**
 * The ACL rules of each user (Redis >= 6.2). Sentinel's are the minimal set from the Redis docs;
 * monitor has no CONFIG GET (it would read requirepass and masterauth).
 */
export function aclRules(who: AclUser, appCommands: readonly string[] = []): string {
  switch (who) {
    case 'admin':
      return '~* &* +@all';
    case 'app':
      return ['~* &* +@all -@admin -@dangerous', APP_ALLOWANCES, ...appCommands].join(' ');
    case 'replication':
      return '+psync +replconf +ping';
    case 'sentinel':
      return 'allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill';
    case 'monitor':
      return '+ping +info +role +echo +client|list +client|info +client|setname +slowlog|get +slowlog|len +latency|latest +memory|stats +dbsize';
  }
}
