import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/state/ports.js';
import { ARTIFACTS } from '../helpers/artifacts.js';
import { launchChromium } from '../helpers/browser.js';
import { withCluster } from '../helpers/cluster.js';

test('dashboard: the right primary, a CLI failover on the page within 2 s without reload, its phases in the timeline', async (t) => {
  const browser = await launchChromium();
  if (!browser) return t.skip('chromium is not installed and cannot be (not root)');
  const ep = await freePort();
  try {
    await withCluster(
      'dashboard',
      { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
      async (c) => {
        const up = await c.run(['up', '--detach']);
        assert.equal(up.code, 0, up.stderr);
        const url = `http://127.0.0.1:${c.ports.dashboard}/`;
        // The exact link `up` printed: it logs in (a one-time token for the cookie), no other step.
        const printed = /^dashboard: (\S+) \(logs you in/m.exec(up.stdout)?.[1] ?? '';
        assert.ok(printed.startsWith(`${url}login?once=`), up.stdout);
        const page = await browser.newPage({ viewport: { width: 1300, height: 1500 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        let reloads = 0;
        page.on('load', () => reloads++);
        assert.equal((await fetch(url)).status, 401, 'no token, no dashboard');
        const opened = await page.goto(printed);
        assert.equal(opened?.status(), 200);
        assert.equal(page.url(), url, 'the one-time token left the address bar');
        // Once only: the same link in another browser is refused.
        assert.equal((await fetch(printed, { redirect: 'manual' })).status, 401);
        await page.waitForFunction(
          () => document.querySelector('#primary')?.textContent === 'redis01',
          undefined,
          { timeout: 10_000 },
        );
        assert.equal(await page.textContent('#state'), 'HEALTHY');
        assert.equal(await page.locator('tr[data-sentinel]').count(), 3);
        assert.equal(await page.locator('.node.primary[data-node="redis01"]').count(), 1);

        const failover = await c.run(['failover']);
        assert.equal(failover.code, 0, failover.stdout + failover.stderr);
        // The CLI returns once every sentinel names the new primary: the page shows it by 2 s later.
        const shown = Date.now();
        await page.waitForFunction(
          () => document.querySelector('#primary')?.textContent === 'redis02',
          undefined,
          { timeout: 2000 },
        );
        const tookMs = Date.now() - shown;
        assert.ok(tookMs <= 2000, `shown ${tookMs} ms after the CLI returned`);
        // The latest failover's phases, in order, on one time axis with the rest.
        await page.waitForFunction(
          () => document.querySelector('.phases')?.textContent?.includes('+switch-master') ?? false,
          undefined,
          { timeout: 5000 },
        );
        const phases = await page.locator('.phases li strong').allTextContents();
        for (const p of ['+try-failover', '+elected-leader', '+promoted-slave', '+switch-master'])
          assert.ok(phases.includes(p), `phase ${p} in ${phases.join(', ')}`);
        assert.ok(
          phases.indexOf('+try-failover') < phases.indexOf('+switch-master'),
          phases.join(', '),
        );
        assert.ok((await page.locator('.timeline tr.phase').count()) > 0, 'phases highlighted');
        await page.waitForFunction(
          () => document.querySelector('#state')?.textContent === 'HEALTHY',
          undefined,
          { timeout: 20_000 },
        );
        // One failover counted once: neither three +switch-master nor the sentinels that learn
        // of it a hello later (still naming redis01 for a moment) make it more.
        assert.equal(
          await page.locator('h2', { hasText: 'Failovers' }).textContent(),
          'Failovers (1 since the dashboard started)',
        );
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({
          path: path.join(ARTIFACTS, 'dashboard-after-failover.png'),
          fullPage: true,
        });
        assert.equal(reloads, 1, 'the page was never reloaded');
        assert.deepEqual(errors, []);
      },
    );
  } finally {
    await browser.close();
  }
});
