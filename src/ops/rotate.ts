import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisHaError } from '../errors/errors.js';
import { redisErrorText, withClient } from '../redis/client.js';
import { runningSupervisor } from '../state/lock.js';
import type { StateDir } from '../state/state-dir.js';
import type { BoundTopology, Member } from '../topology/model.js';
import type { HaEvent } from '../events/events.js';
import { credentials, sentinelCredentials, type Credentials } from '../state/credentials.js';
import {
  ACL_USERS,
  loadOrCreateSecrets,
  newSecrets,
  writeSecrets,
  type PreviousSecrets,
  type Secrets,
} from '../state/secrets.js';
import { withTls } from '../state/tls.js';

export type RotateStep = 'start' | 'finish';

export interface RotateReport {
  step: RotateStep;
  generation: number;
  /** Members changed live; the others were unreachable. */
  updated: string[];
  unreachable: string[];
  /** Whether a running supervisor confirmed it reloaded (undefined: none running). */
  reloaded: boolean | undefined;
}

/** What each step does on a node, in order (pure, for tests and --json). */
export function nodeCommands(
  t: Pick<BoundTopology, 'auth'>,
  next: PreviousSecrets,
  old: PreviousSecrets,
  step: RotateStep,
): string[][] {
  const users: [string, string, string][] =
    t.auth.mode === 'password'
      ? [['default', next.redisPassword, old.redisPassword]]
      : ACL_USERS.map((u) => [u, next.users[u], old.users[u]]);
  const changed = users.filter(([, n, o]) => n !== o);
  if (step === 'start')
    return [
      // Add the new password next to the old one: both work until `finish`.
      ...changed.map(([u, n]) => ['ACL', 'SETUSER', u, `>${n}`]),
      [
        'CONFIG',
        'SET',
        'masterauth',
        t.auth.mode === 'password' ? next.redisPassword : next.users.replication,
      ],
    ];
  return [...changed.map(([u, , o]) => ['ACL', 'SETUSER', u, `<${o}`]), ['CONFIG', 'REWRITE']];
}

/** The same for a sentinel: its own password, its peers' password, its password on the nodes. */
export function sentinelCommands(
  t: Pick<BoundTopology, 'auth' | 'masterName'>,
  next: PreviousSecrets,
  old: PreviousSecrets,
  step: RotateStep,
): { add: string[][]; use: string[][] } {
  const onNodes = t.auth.mode === 'password' ? next.redisPassword : next.users.sentinel;
  if (step === 'finish')
    return {
      add:
        next.sentinelPassword === old.sentinelPassword
          ? []
          : [['ACL', 'SETUSER', 'default', `<${old.sentinelPassword}`]],
      use: [['SENTINEL', 'FLUSHCONFIG']],
    };
  return {
    add: [['ACL', 'SETUSER', 'default', `>${next.sentinelPassword}`]],
    use: [
      ['SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', next.sentinelPassword],
      ['SENTINEL', 'SET', t.masterName, 'auth-pass', onNodes],
    ],
  };
}

function pick(s: Secrets | PreviousSecrets): PreviousSecrets {
  const { redisPassword, sentinelPassword, dashboardToken, users } = s;
  return { redisPassword, sentinelPassword, dashboardToken, users };
}

/** Runs fn as the first credentials the member accepts (the new ones, else the old). */
async function asFirstAccepted<T>(
  m: Member<number>,
  tries: Credentials[],
  fn: (c: Redis) => Promise<T>,
): Promise<T> {
  let last: unknown;
  for (const auth of tries) {
    try {
      return await withClient(m, { ...auth, timeoutMs: 2000 }, fn);
    } catch (e) {
      last = e; // a refused password, or the member is down: the next credentials, then give up
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

async function runAll(c: Redis, cmds: string[][]): Promise<void> {
  for (const [name, ...args] of cmds) await c.call(name!, ...args);
}

/** Waits until a running supervisor logged that it reloaded this generation (bounded). */
async function waitReloaded(
  dir: StateDir,
  generation: number,
  from: number,
  progress: (line: string) => void,
): Promise<boolean | undefined> {
  if (runningSupervisor(dir) === undefined) return undefined;
  progress(
    `waiting for the running supervisor to reload the secrets (generation ${generation}) ...`,
  );
  const reloaded = (line: string): boolean => {
    try {
      const e = JSON.parse(line) as HaEvent;
      return e.kind === 'secrets-reloaded' && e.data?.generation === generation;
    } catch {
      return false; // a line still being written
    }
  };
  for (let i = 0; i < 100; i++) {
    if (existsSync(dir.eventsFile) && statSync(dir.eventsFile).size > from) {
      const lines = readFileSync(dir.eventsFile).subarray(from).toString('utf8').split('\n');
      if (lines.some((l) => l.startsWith('{') && reloaded(l))) return true;
    }
    await sleep(100);
  }
  return false;
}

/**
 * `secrets rotate`, in two steps so that nothing stops. `start`: (1) the secrets file names the new
 * passwords as also accepted (a server restarted from now on accepts both; daemons keep using the
 * old); (2) every node and sentinel accepts the new ones next to the old; (3) the servers use the new
 * ones between themselves (replication, sentinel links); (4) the file makes the new ones the main
 * ones and running daemons reload. Applications move at their pace. `finish`: daemons drop the old
 * ones, then every server refuses them. Each step is idempotent: re-running one cut short
 * completes it (the file records how far it got).
 */
export async function rotateSecrets(
  t: BoundTopology,
  dir: StateDir,
  step: RotateStep,
  progress: (line: string) => void,
): Promise<RotateReport> {
  const cur = withTls(loadOrCreateSecrets(dir), t);
  if (step === 'finish' && !cur.previous)
    throw new RedisHaError('USAGE', 'no rotation in progress: nothing to finish', {
      hint: 'start one with `redis-ha secrets rotate`',
    });
  const tls = cur.tls;
  let generation = cur.generation ?? 0;
  const write = (
    main: PreviousSecrets,
    previous: PreviousSecrets | undefined,
    rotation: Secrets['rotation'],
  ): void => {
    generation += 1;
    writeSecrets(dir, { ...main, generation, previous, rotation });
  };
  let old: PreviousSecrets;
  let fresh: PreviousSecrets;
  if (!cur.previous) {
    old = pick(cur);
    fresh = newSecrets();
    write(old, fresh, 'adding');
    progress(
      `new passwords generated (generation ${generation}); the old ones stay in use for now`,
    );
  } else if (cur.rotation === 'adding') {
    [old, fresh] = [pick(cur), cur.previous];
    if (step === 'start')
      progress('completing the rotation started before, with the same new passwords');
  } else {
    [old, fresh] = [cur.previous, pick(cur)];
    if (step === 'start')
      progress('the new passwords are already in use; making sure every server has them');
  }
  const admin = [
    credentials(t, { ...fresh, tls }, 'admin'),
    credentials(t, { ...old, tls }, 'admin'),
  ];
  const sentinel = [
    sentinelCredentials(t, { ...fresh, tls }),
    sentinelCredentials(t, { ...old, tls }),
  ];
  const updated = new Set<string>();
  const unreachable = new Set<string>();
  const apply = async (
    m: Member<number>,
    cmds: string[][],
    tries: Credentials[],
  ): Promise<void> => {
    if (cmds.length === 0) return;
    try {
      await asFirstAccepted(m, tries, (c) => runAll(c, cmds));
      updated.add(m.name);
    } catch (e) {
      if (!unreachable.has(m.name)) progress(`${m.name}: not updated (${redisErrorText(e)})`);
      unreachable.add(m.name);
    }
  };
  let reloaded: boolean | undefined;
  const switchDaemons = async (
    main: PreviousSecrets,
    previous: PreviousSecrets | undefined,
  ): Promise<void> => {
    const from = existsSync(dir.eventsFile) ? statSync(dir.eventsFile).size : 0;
    write(main, previous, previous ? 'switched' : undefined);
    reloaded = await waitReloaded(dir, generation, from, progress);
    if (reloaded === false)
      throw new RedisHaError(
        'TIMEOUT',
        'the running supervisor did not reload the secrets within 10s',
        {
          hint: `see ${dir.supervisorLog}; the servers accept both the old and the new passwords meanwhile`,
        },
      );
  };

  if (step === 'start') {
    const node = nodeCommands(t, fresh, old, 'start');
    const s = sentinelCommands(t, fresh, old, 'start');
    // Every server accepts the new passwords before any server uses them.
    for (const n of t.nodes) await apply(n, node.slice(0, -1), admin);
    for (const x of t.sentinels) await apply(x, s.add, sentinel);
    if (unreachable.size === 0) {
      for (const n of t.nodes) await apply(n, node.slice(-1), admin);
      for (const x of t.sentinels) await apply(x, s.use, sentinel);
    }
    if (unreachable.size === 0 && cur.rotation !== 'switched') await switchDaemons(fresh, old);
    return { step, generation, updated: [...updated], unreachable: [...unreachable], reloaded };
  }
  // finish: every member must already work with the new passwords, the old ones are about to go.
  if (cur.rotation !== 'switched')
    throw new RedisHaError('UNHEALTHY', 'the rotation has not switched to the new passwords yet', {
      hint: 're-run `redis-ha secrets rotate` until every server is updated, then --finish',
    });
  const missing: string[] = [];
  for (const m of [...t.nodes, ...t.sentinels]) {
    const auth = m.kind === 'node' ? admin[0]! : sentinel[0]!;
    await withClient(m, { ...auth, timeoutMs: 2000 }, (c) => c.ping()).catch(() =>
      missing.push(m.name),
    );
  }
  if (missing.length > 0)
    throw new RedisHaError(
      'UNHEALTHY',
      `${missing.join(', ')} do not accept the new passwords yet; the old ones are kept`,
      {
        hint: 'bring them up (`redis-ha status`), re-run `redis-ha secrets rotate` to update them, then --finish',
      },
    );
  await switchDaemons(fresh, undefined);
  // Only now that every daemon uses the new ones: refuse the old.
  for (const n of t.nodes) await apply(n, nodeCommands(t, fresh, old, 'finish'), admin.slice(0, 1));
  for (const x of t.sentinels) {
    const s = sentinelCommands(t, fresh, old, 'finish');
    await apply(x, [...s.add, ...s.use], sentinel.slice(0, 1));
  }
  return { step, generation, updated: [...updated], unreachable: [...unreachable], reloaded };
}
