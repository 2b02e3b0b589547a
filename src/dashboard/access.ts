import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isLoopbackHost } from '../util/listen.js';
import { LoginLinks } from './login.js';

const COOKIE = 'redis_ha_token';
const TOKEN_REQUIRED = 'token required: open /?token=TOKEN (see `redis-ha secrets`)\n';

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface AccessOptions {
  /** The dashboard token (it changes with `secrets rotate`). */
  token: () => string;
  /** No token needed to view. */
  open: boolean;
  /** Where the dashboard listens: one-time login links work on loopback only. */
  host: string;
  /** Headers of every response (CSP, no-store, ...). */
  headers: Record<string, string>;
  /** A one-time link was used. */
  onLogin: () => void;
}

/**
 * Who may see the dashboard: the token once in the URL (`/?token=`), or a one-time login link
 * (`/login?once=`, loopback only), each exchanged for an HttpOnly SameSite=Strict cookie.
 */
export class DashboardAccess {
  readonly #o: AccessOptions;
  #links = new LoginLinks();

  constructor(o: AccessOptions) {
    this.#o = o;
  }

  /** A new run: links issued before it are refused (whether they were used is unknown). */
  restart(): void {
    this.#links = new LoginLinks();
  }

  /** True when it answered the request itself (a redirect or a refusal). */
  gate(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    if (url.pathname === '/login' && this.#login(req, res, url)) return true;
    if (this.#o.open) return false;
    const token = this.#o.token();
    if (sameToken(url.searchParams.get('token') ?? undefined, token)) {
      this.#loggedIn(res, url.pathname);
      return true;
    }
    if (sameToken(cookie(req, COOKIE), token)) return false;
    this.#refuse(res, TOKEN_REQUIRED);
    return true;
  }

  /** The cookie (the token itself), and away from the URL that carried a token. */
  #loggedIn(res: http.ServerResponse, to: string): void {
    const value = encodeURIComponent(this.#o.token());
    res.writeHead(303, {
      ...this.#o.headers,
      location: to,
      'set-cookie': `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end();
  }

  #refuse(res: http.ServerResponse, text: string): void {
    res.writeHead(401, { ...this.#o.headers, 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  /** `/login?once=TOKEN`, the link `up` prints. False: not handled here (beyond loopback). */
  #login(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    if (this.#o.open || sameToken(cookie(req, COOKIE), this.#o.token())) {
      res.writeHead(303, { ...this.#o.headers, location: '/' }).end();
      return true;
    }
    if (!isLoopbackHost(this.#o.host)) return false;
    const r = this.#links.redeem(this.#o.token(), url.searchParams.get('once') ?? '');
    if (r.ok) {
      this.#o.onLogin();
      this.#loggedIn(res, '/');
      return true;
    }
    const why = { malformed: 'is not valid', forged: 'is not valid', expired: 'has expired' };
    const said = r.why === 'used' ? 'was already used' : why[r.why];
    this.#refuse(
      res,
      `this login link ${said}: \`redis-ha dashboard --url\` prints a new one\n${TOKEN_REQUIRED}`,
    );
    return true;
  }
}
