import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { LOGIN_TTL_MS, newLoginToken } from '../../src/dashboard/login.js';
import { DashboardServer, type DashboardSource } from '../../src/dashboard/server.js';
import type { ScrapeData } from '../../src/metrics/ha-metrics.js';
import { parseInfo } from '../../src/redis/info.js';
import { deepFreeze, type BoundTopology } from '../../src/topology/model.js';
import { launchChromium } from '../helpers/browser.js';
import { boundTopology } from '../helpers/bound.js';
import { isLoopbackHost } from '../../src/util/listen.js';
import { ARTIFACTS } from '../helpers/artifacts.js';
import { setTimeout as sleep } from 'node:timers/promises';

const HOSTILE = '<img src=x onerror="window.__xss=1">';
const TOKEN = 'dashboard-test-token-0123456789abcdefghijklm';

/** A topology whose node name is markup (the schema forbids it; the page must not trust it). */
function hostileTopology(): BoundTopology {
  const t = boundTopology(undefined, 7000, 8000);
  return deepFreeze({
    ...t,
    nodes: t.nodes.map((n, i) => (i === 0 ? { ...n, name: HOSTILE } : n)),
  });
}

function fakeSource(t: BoundTopology): DashboardSource {
  const [p, r] = t.nodes;
  const data: ScrapeData = {
    at: Date.now(),
    nodes: [
      {
        name: p!.name,
        info: parseInfo(
          `role:master\r\nrun_id:a\r\nconnected_slaves:1\r\nmaster_repl_offset:10\r\nused_memory:100\r\nmaxmemory:1000`,
        ),
      },
      {
        name: r!.name,
        info: parseInfo(
          `role:slave\r\nrun_id:b\r\nmaster_host:127.0.0.1\r\nmaster_port:${p!.port}\r\nmaster_link_status:up\r\nslave_repl_offset:10`,
        ),
      },
    ],
    sentinels: t.sentinels.map((s) => ({
      name: s.name,
      replies: {
        info: parseInfo('sentinel_tilt:0'),
        master: { name: 'mymaster', ip: '127.0.0.1', port: String(p!.port), flags: 'master' },
        replicas: [],
        sentinels: [],
        ckquorumOk: true,
      },
    })),
    endpoints: [],
    failovers: { count: 0, inProgress: false },
  };
  return {
    topology: t,
    start: () => undefined,
    stop: () => undefined,
    gather: () => Promise.resolve({ ...data, at: Date.now() }),
    on: () => () => undefined,
  };
}

async function withDashboard(
  o: { requireToken?: boolean; actions?: boolean },
  fn: (d: DashboardServer, base: string, calls: string[]) => Promise<void>,
): Promise<void> {
  const calls: string[] = [];
  const d = new DashboardServer({
    collector: fakeSource(hostileTopology()),
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    // The pages' own tests view without the token; the token test asks for the default.
    requireToken: 'requireToken' in o ? o.requireToken : false,
    runAction: o.actions
      ? (a) => {
          calls.push(a);
          return Promise.resolve(`${a} done`);
        }
      : undefined,
    periodMs: 100,
  });
  await d.start();
  try {
    await fn(d, d.url.replace(/\/$/, ''), calls);
  } finally {
    await d.stop();
  }
}

test('the token is required for every request, loopback included (cookie after ?token=)', async () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('10.0.0.1'), false);
  await withDashboard({ requireToken: undefined }, async (_d, base) => {
    for (const p of ['/', '/app.js', '/events', '/api/snapshot'])
      assert.equal((await fetch(base + p)).status, 401, p);
    assert.equal((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status, 401);
    const ok = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/', 'the token leaves the URL');
    const set = ok.headers.get('set-cookie') ?? '';
    assert.match(set, /HttpOnly; SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: set.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });
  await withDashboard({ requireToken: false }, async (_d, base) => {
    assert.equal((await fetch(`${base}/`)).status, 200, 'open to view only when asked');
  });
});

test('a one-time login link: the cookie, then the page; once only; never the token itself', async () => {
  await withDashboard({ requireToken: undefined }, async (d, base) => {
    const events: string[] = [];
    d.on('event', (e) => events.push(e.message));
    const once = newLoginToken(TOKEN);
    assert.ok(!once.includes(TOKEN), 'the link does not carry the token');
    const ok = await fetch(`${base}/login?once=${once}`, { redirect: 'manual' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/', 'the link leaves the URL');
    const set = ok.headers.get('set-cookie') ?? '';
    assert.match(set, /HttpOnly; SameSite=Strict/);
    const cookie = set.split(';')[0]!;
    assert.equal((await fetch(`${base}/`, { headers: { cookie } })).status, 200);
    // Reopened in the same browser: straight to the page.
    const again = await fetch(`${base}/login?once=${once}`, {
      redirect: 'manual',
      headers: { cookie },
    });
    assert.equal(again.status, 303);
    // Anyone else with the same link: used.
    const reused = await fetch(`${base}/login?once=${once}`, { redirect: 'manual' });
    assert.equal(reused.status, 401);
    assert.match(await reused.text(), /already used: `redis-ha dashboard --url` prints a new one/);
    const forged = `${once.slice(0, -4)}AAAA`;
    assert.equal((await fetch(`${base}/login?once=${forged}`)).status, 401);
    const old = newLoginToken(TOKEN, Date.now() - LOGIN_TTL_MS - 1000);
    assert.match(await (await fetch(`${base}/login?once=${old}`)).text(), /has expired/);
    assert.equal((await fetch(`${base}/login?once=${newLoginToken('another-key')}`)).status, 401);
    assert.deepEqual(events, ['opened with a one-time login link']);
  });
});

test('actions: off by default; when on, POST with the token header from this origin only', async () => {
  await withDashboard({}, async (_d, base) => {
    const r = await fetch(`${base}/api/action/failover`, {
      method: 'POST',
      headers: { 'x-redis-ha-token': TOKEN },
    });
    assert.equal(r.status, 404);
  });
  await withDashboard({ actions: true }, async (_d, base, calls) => {
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${base}/api/action/switchover`, { method: 'POST', headers });
    assert.equal((await post({})).status, 403);
    assert.equal((await post({ 'x-redis-ha-token': 'wrong' })).status, 403);
    assert.equal(
      (await post({ 'x-redis-ha-token': TOKEN, origin: 'http://evil.example' })).status,
      403,
      'cross-site',
    );
    assert.equal(
      (await fetch(`${base}/api/action/switchover`, { headers: { 'x-redis-ha-token': TOKEN } }))
        .status,
      405,
    );
    assert.deepEqual(calls, []);
    const ok = await post({ 'x-redis-ha-token': TOKEN });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true, message: 'switchover done' });
    assert.deepEqual(calls, ['switchover']);
  });
});

test('names and event text containing HTML/script are shown as text, never run', async (t) => {
  const browser = await launchChromium();
  if (!browser) return t.skip('chromium is not installed and cannot be (not root)');
  try {
    await withDashboard({}, async (d, base) => {
      d.addEvent({
        ts: new Date().toISOString(),
        kind: 'decision',
        level: 'warn',
        member: 'x',
        message: `<script>window.__xss=2</script>${HOSTILE}`,
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${base}/`);
      await page.waitForSelector('#primary', { timeout: 10_000 });
      assert.equal(await page.textContent('#primary'), HOSTILE);
      await page.waitForFunction(
        (s) => document.body.innerText.includes(s),
        '<script>window.__xss=2</script>',
        { timeout: 5000 },
      );
      assert.equal(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
        undefined,
      );
      assert.equal(await page.locator('main img').count(), 0, 'no element was injected');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({
        path: path.join(ARTIFACTS, 'dashboard-hostile-text.png'),
        fullPage: true,
      });
      assert.deepEqual(errors, []);
    });
  } finally {
    await browser.close();
  }
});

/** Bounded wait for a condition checked every 5 ms. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !pred(); await sleep(5))
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
}

test('a sentinel event makes the dashboard look at once; a burst costs one look more, not one each', async () => {
  const base = fakeSource(boundTopology(undefined, 7000, 8000));
  let gathers = 0;
  let onMessage:
    ((m: { sentinel: string; channel: string; payload: string; at: number }) => void) | undefined;
  const source: DashboardSource = {
    ...base,
    gather: () => {
      gathers++;
      return base.gather();
    },
    on: (name: string, fn: typeof onMessage) => {
      if (name === 'message') onMessage = fn;
      return () => undefined;
    },
  };
  // Nobody watching: the periodic look is once a second, so a look within 200 ms is the event's.
  const d = new DashboardServer({ collector: source, host: '127.0.0.1', port: 0, token: TOKEN });
  await d.start();
  try {
    await until(() => gathers >= 1, 2000, 'the first look');
    await sleep(50);
    const before = gathers;
    const message = (channel: string): void =>
      onMessage?.({
        sentinel: 's1',
        channel,
        payload: 'master mymaster 127.0.0.1 7000',
        at: Date.now(),
      });
    message('+switch-master');
    await until(() => gathers > before, 200, 'a look right after the event');
    for (let i = 0; i < 10; i++) message('+slave');
    await sleep(300);
    assert.equal(gathers, before + 2, 'the event look, then one more for the burst');
  } finally {
    await d.stop();
  }
});
