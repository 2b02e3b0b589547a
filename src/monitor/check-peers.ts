import { tally } from '../topology/majority.js';
import { LiteClient, type LiteOptions, type Reply } from '../redis/lite-client.js';
import type { CheckRedisOptions } from './check-redis.js';
import { CRITICAL, OK, WARNING, type Finding } from './nagios.js';

/** The check's connections to its peers: AUTH, the sentinels' answers and their verdict. */

export async function auth(
  c: LiteClient,
  user: string | undefined,
  password: string | undefined,
): Promise<void> {
  if (password) await c.must(...(user ? ['AUTH', user, password] : ['AUTH', password]));
}

/** A connection authenticated as the check's user (closed on failure). */
export async function connectAuthed(
  conn: LiteOptions,
  o: Pick<CheckRedisOptions, 'user' | 'password'>,
): Promise<LiteClient> {
  const c = await LiteClient.connect(conn);
  try {
    await auth(c, o.user, o.password);
    return c;
  } catch (e) {
    c.close();
    throw e;
  }
}

/** What the sentinels' answers add up to, by the one majority rule (majority.ts). */
export function sentinelMajority(answers: readonly (Reply | undefined)[]): {
  named: string;
  count: number;
  needed: number;
  answered: number;
} {
  const r = tally(
    answers.map((a) => {
      const vote = Array.isArray(a) ? `${String(a[0])}:${String(a[1])}` : undefined;
      return { usable: vote !== undefined, vote };
    }),
    (v) => v,
  );
  return { named: r.top ?? '', count: r.votes, needed: r.needed, answered: r.usable };
}

/** Every --sentinels answer (undefined for one that fails). */
export function askSentinels(
  o: Pick<CheckRedisOptions, 'conn' | 'sentinels' | 'sentinelPassword' | 'masterName'>,
): Promise<(Reply | undefined)[]> {
  return Promise.all(
    o.sentinels.map((s) =>
      sentinelAnswer({ ...o.conn, host: s.host, port: s.port }, o).catch(() => undefined),
    ),
  );
}

export function sentinelVerdict(
  answers: (Reply | undefined)[],
  me: { host: string; port: number },
  role: 'primary' | 'replica',
): Finding {
  const { named, count, needed, answered } = sentinelMajority(answers);
  if (answered < needed)
    return {
      state: WARNING,
      text: `only ${answered}/${answers.length} sentinels answered (unreachable, in TILT, or wrong --sentinel-password)`,
    };
  if (count < needed)
    return {
      state: WARNING,
      text: `no sentinel majority on the primary (${count}/${answers.length}, ${needed} needed)`,
    };
  const isMe = named === `${me.host}:${me.port}`;
  if (role === 'primary' && !isMe)
    return {
      state: CRITICAL,
      text: `split brain: says primary but ${count}/${answers.length} sentinels name ${named}`,
    };
  if (role === 'replica' && isMe)
    return {
      state: CRITICAL,
      text: `${count}/${answers.length} sentinels name this node primary but it is a replica`,
    };
  return { state: OK, text: `${count}/${answers.length} sentinels agree (${named} is primary)` };
}

export async function sentinelAnswer(
  conn: LiteOptions,
  o: Pick<CheckRedisOptions, 'sentinelPassword' | 'masterName'>,
): Promise<Reply> {
  const c = await connectAuthed(conn, { user: undefined, password: o.sentinelPassword });
  try {
    // One round trip: the answer and whether this sentinel is in TILT (its word does not count).
    const [addr, info] = await Promise.all([
      c.must('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', o.masterName),
      c.must('INFO', 'sentinel'),
    ]);
    if (typeof info === 'string' && /\bsentinel_tilt:1\b/.test(info))
      throw new Error('in TILT mode');
    return addr;
  } finally {
    c.close();
  }
}
