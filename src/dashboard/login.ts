import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time login links for the dashboard (`/login?once=TOKEN`, as notebook servers print): the
 * token is minted by whoever holds the secrets (`up`, also when detached, or `dashboard --url`)
 * and checked by the dashboard without talking to it: `ISSUED.NONCE.MAC`, an HMAC keyed by the
 * dashboard token. The long-lived token never appears in the link; the server accepts each nonce
 * once, within LOGIN_TTL_MS, and only if issued after it started.
 */
export const LOGIN_TTL_MS = 10 * 60_000;
const DOMAIN = 'redis-ha dashboard login v1';

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(`${DOMAIN}\n${payload}`).digest('base64url');
}

/** Pure: the token for a nonce issued at `issuedAt` (ms). */
export function loginToken(key: string, issuedAt: number, nonce: string): string {
  const payload = `${issuedAt.toString(36)}.${nonce}`;
  return `${payload}.${mac(key, payload)}`;
}

/** A fresh token (16 random bytes of nonce), issued now. */
export function newLoginToken(key: string, now = Date.now()): string {
  return loginToken(key, now, randomBytes(16).toString('base64url'));
}

export type LoginCheck =
  | { ok: true; nonce: string; expiresAt: number }
  | { ok: false; why: 'malformed' | 'forged' | 'expired' | 'used' };

/**
 * Pure: whether `token` logs in at `now` for a server started at `since`, given the nonces
 * already used. The caller records the nonce of an accepted token.
 */
export function checkLoginToken(
  key: string,
  token: string,
  now: number,
  since: number,
  used: ReadonlySet<string>,
): LoginCheck {
  const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, why: 'malformed' };
  const [, issued = '', nonce = '', given = ''] = m;
  const want = Buffer.from(mac(key, `${issued}.${nonce}`));
  const got = Buffer.from(given);
  if (got.length !== want.length || !timingSafeEqual(got, want))
    return { ok: false, why: 'forged' };
  const at = parseInt(issued, 36);
  // Issued before this server started: a link from an earlier run, whose use it cannot know.
  if (at < since || at > now + 5_000 || now - at > LOGIN_TTL_MS)
    return { ok: false, why: 'expired' };
  if (used.has(nonce)) return { ok: false, why: 'used' };
  return { ok: true, nonce, expiresAt: at + LOGIN_TTL_MS };
}

/** The dashboard's side: single use, expiry, and the used nonces forgotten once expired. */
export class LoginLinks {
  readonly #used = new Map<string, number>();
  readonly #since: number;

  constructor(since = Date.now()) {
    this.#since = since;
  }

  /** True once per valid token; never for a forged, expired or already used one. */
  redeem(key: string, token: string, now = Date.now()): LoginCheck {
    for (const [n, exp] of this.#used) if (exp < now) this.#used.delete(n);
    const r = checkLoginToken(key, token, now, this.#since, new Set(this.#used.keys()));
    if (r.ok) this.#used.set(r.nonce, r.expiresAt);
    return r;
  }
}
