import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionHelp } from '../../src/cli/connection-help.js';
import { nextSteps } from '../../src/cli/commands/next-steps.js';
import { checkLoginToken, LOGIN_TTL_MS, loginToken } from '../../src/dashboard/login.js';
import { LAB_TOPOLOGY, SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { redact, redactLoginLinks } from '../../src/util/redact.js';
import { boundTopology } from '../helpers/bound.js';

const paths = { secretsFile: '/srv/app/.redis-ha/secrets.json' };

test('the seed: its endpoint, a redis:// URL without the password, the redis-cli line last', () => {
  const t = boundTopology();
  assert.equal(t.endpoint.mode, 'proxy');
  const lines = connectionHelp(t, 'redis01', paths, { dashboardLogin: 'LOGIN' }).split('\n');
  assert.deepEqual(lines, [
    'dashboard: http://127.0.0.1:9122/login?once=LOGIN (logs you in; the link works once, for 10 minutes; a new one: `npx redis-ha dashboard --url`)',
    'metrics: http://127.0.0.1:9121/metrics (Prometheus; HTTP Basic as the monitor user)',
    'sentinels 127.0.0.1:7002, 127.0.0.1:7003, 127.0.0.1:7004 (master name mymaster); primary redis01 at 127.0.0.1:7000',
    "connect to redis://app@127.0.0.1:6390 (the endpoint: always the primary); user app's password: `npx redis-ha secrets app`, in /srv/app/.redis-ha/secrets.json",
    '  redis-cli -h 127.0.0.1 -p 6390 --user app --askpass',
  ]);
  // Printed output is redacted, but a login link is not a secret of the redaction list.
  assert.equal(redact(lines[0]!), lines[0]);
  assert.match(redactLoginLinks(lines[0]!), /login\?once=\*\*\* \(logs you in/);
});

test('without an endpoint the primary (and why it changes); a VIP; TLS; password mode', () => {
  const none = boundTopology({ ...SEED_TOPOLOGY, endpoint: { mode: 'none' } });
  const last = connectionHelp(none, 'redis02', paths).split('\n').slice(-2);
  assert.deepEqual(last, [
    "connect to redis://app@127.0.0.1:7001 (the primary redis02 for now; set endpoint.mode: proxy for one address); user app's password: `npx redis-ha secrets app`, in /srv/app/.redis-ha/secrets.json",
    '  redis-cli -h 127.0.0.1 -p 7001 --user app --askpass',
  ]);
  const vip = connectionHelp(boundTopology(LAB_TOPOLOGY), 'redis01', paths);
  assert.match(
    vip,
    /^connect to redis:\/\/app@10\.208\.0\.100:7000 \(the floating address: always/m,
  );
  const tls = boundTopology({ ...SEED_TOPOLOGY, tls: true, auth: { mode: 'password' } });
  const help = connectionHelp(tls, 'redis01', paths);
  assert.match(
    help,
    /^connect to rediss:\/\/127\.0\.0\.1:6390 \(the endpoint: always the primary\); the password: `npx redis-ha secrets password`/m,
  );
  assert.match(
    help,
    /^ {2}redis-cli --tls --cacert \/tmp\/\.redis-ha\/tls\/ca\.crt -h 127\.0\.0\.1 -p 6390 --askpass$/m,
  );
  assert.match(help, /^TLS only \(plain ports off\)/m);
});

test('beyond loopback the dashboard line keeps the token rules (no login link)', () => {
  const t = boundTopology({ ...SEED_TOPOLOGY, dashboard: { listen: '10.0.0.5:9122' } });
  const line = connectionHelp(t, 'redis01', paths, { dashboardLogin: 'LOGIN' }).split('\n')[0];
  assert.equal(
    line,
    'dashboard: http://10.0.0.5:9122/ (token required: open /?token=TOKEN once, see `npx redis-ha secrets`)',
  );
});

test('one-time login tokens: signed by the dashboard token, after the start, 10 minutes, once', () => {
  const key = 'k'.repeat(43);
  const at = 1_700_000_000_000;
  const tok = loginToken(key, at, 'n'.repeat(22));
  assert.ok(!tok.includes(key));
  const none = new Set<string>();
  assert.deepEqual(checkLoginToken(key, tok, at + 1000, at - 1, none), {
    ok: true,
    nonce: 'n'.repeat(22),
    expiresAt: at + LOGIN_TTL_MS,
  });
  const why = (
    k: string,
    t: string,
    now: number,
    since: number,
    used = none,
  ): string | undefined => {
    const r = checkLoginToken(k, t, now, since, used);
    return r.ok ? undefined : r.why;
  };
  assert.equal(why(key, tok, at + LOGIN_TTL_MS + 1, at), 'expired');
  assert.equal(why(key, tok, at + 1000, at + 1), 'expired', 'issued before the server started');
  assert.equal(why(key, tok, at + 1000, at, new Set(['n'.repeat(22)])), 'used');
  assert.equal(why('x'.repeat(43), tok, at + 1000, at), 'forged');
  assert.equal(why(key, `${tok}x`, at + 1000, at), 'malformed');
  assert.equal(why(key, '', at, at), 'malformed');
});

test('`redis-ha` alone: the five commands a newcomer needs next', () => {
  const text = nextSteps().text ?? '';
  const commands = text
    .split('\n')
    .filter((l) => l.startsWith('  npx redis-ha '))
    .map((l) => l.trim().split(/\s{2,}/)[0]);
  assert.deepEqual(commands, [
    'npx redis-ha status',
    'npx redis-ha endpoint',
    'npx redis-ha dashboard --url',
    'npx redis-ha drill --fault kill',
    'npx redis-ha down',
  ]);
});
