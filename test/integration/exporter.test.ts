import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/state/ports.js';
import { CLI, withCluster, basicAuth } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';

const PROMTOOL = '/usr/bin/promtool';
const ROOT = path.resolve(path.dirname(CLI), '../../..');

/** Set once the cluster's secrets exist: scrapes authenticate as the monitor user. */
let authorization = '';

async function scrape(url: string): Promise<string> {
  const r = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(10_000) });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return r.text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Series whose presence does not depend on a node's role: their label sets must survive a failover. */
function stableSeries(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .filter((k) =>
      /^(redis_up|redis_uptime_in_seconds|redis_connected_clients|redis_commands_processed_total|redis_ha_primary|redis_ha_node_is_primary|redis_ha_sentinel_names_primary|redis_ha_endpoint_node|redis_sentinel_master_status)\{/.test(
        k,
      ),
    )
    .sort();
}

async function until(
  url: string,
  pred: (text: string) => boolean,
  timeoutMs: number,
  what: string,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await scrape(url).catch((e: unknown) => String(e));
    if (pred(last)) return last;
    await sleep(100);
  }
  const shown = last
    .split('\n')
    .filter((l) => /^redis_(up|ha_)/.test(l))
    .join('\n');
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last scrape:\n${shown}`);
}

function promtoolCheck(text: string): void {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout + r.stderr, '', 'promtool lint findings');
}

test('the example alert rules pass promtool check rules and promtool test rules', (t) => {
  if (!ensureDebianTool(PROMTOOL, 'prometheus'))
    return t.skip('promtool (Debian prometheus) is not installed and cannot be (not root)');
  const check = spawnSync(
    PROMTOOL,
    ['check', 'rules', path.join(ROOT, 'docs/prometheus/redis-ha-alerts.yml')],
    { encoding: 'utf8' },
  );
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync(
    PROMTOOL,
    ['test', 'rules', path.join(ROOT, 'test/prometheus/alerts.test.yml')],
    { encoding: 'utf8' },
  );
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
});

test('exporter: valid metrics for the whole topology, a bounded scrape, labels stable across a failover', async () => {
  const promtool = ensureDebianTool(PROMTOOL, 'prometheus');
  const ep = await freePort();
  await withCluster(
    'exporter',
    { extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}" }` },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      const url = `http://127.0.0.1:${c.ports.exporter}/metrics`;
      assert.match(up.stdout, new RegExp(`metrics: ${url.replace(/[.]/g, '\\.')}`));
      // Without the monitor user's credentials, or with wrong ones: 401.
      assert.equal((await fetch(url)).status, 401);
      const wrong = basicAuth({ username: 'monitor', password: 'x'.repeat(43) });
      assert.equal((await fetch(url, { headers: { authorization: wrong } })).status, 401);
      authorization = basicAuth(c.auth('monitor'));
      const first = await until(
        url,
        (x) => value(x, 'redis_ha_endpoint_reaches_primary{endpoint="primary"}') === 1,
        10_000,
        'the endpoint probe',
      );
      if (promtool) promtoolCheck(first);
      for (const m of ['node="redis01"', 'node="redis02"', 'sentinel="s1"', 'sentinel="s3"'])
        assert.equal(value(first, `redis_up{${m}}`), 1, m);
      assert.equal(value(first, 'redis_ha_primary{node="redis01"}'), 1);
      assert.equal(value(first, 'redis_ha_sentinels_agree'), 1);
      assert.equal(value(first, 'redis_ha_failovers_total'), 0);
      assert.equal(value(first, 'redis_master_link_up{node="redis02"}'), 1);

      // A hung replica: that node is redis_up 0, the scrape returns within the 1 s bound.
      const replica = c.pidOf('redis02');
      process.kill(replica, 'SIGSTOP');
      try {
        const t0 = Date.now();
        const hung = await scrape(url);
        const took = Date.now() - t0;
        assert.ok(took < 1800, `scrape took ${took}ms with a hung node`);
        assert.equal(value(hung, 'redis_up{node="redis02"}'), 0);
        assert.equal(value(hung, 'redis_up{node="redis01"}'), 1);
        assert.equal(value(hung, 'redis_ha_primary{node="redis01"}'), 1);
        if (promtool) promtoolCheck(hung);
        // Still no reply: reported down at once rather than queued behind the hung request.
        const t1 = Date.now();
        assert.equal(value(await scrape(url), 'redis_up{node="redis02"}'), 0);
        assert.ok(Date.now() - t1 < 500, `second scrape took ${Date.now() - t1}ms`);
      } finally {
        process.kill(replica, 'SIGCONT');
      }
      await until(url, (x) => value(x, 'redis_up{node="redis02"}') === 1, 10_000, 'redis02 back');
      const before = stableSeries(await scrape(url));

      process.kill(c.pidOf('redis01'), 'SIGKILL');
      const switched = await until(
        url,
        (x) =>
          value(x, 'redis_ha_primary{node="redis02"}') === 1 &&
          value(x, 'redis_ha_failovers_total') === 1 &&
          value(x, 'redis_ha_endpoint_reaches_primary{endpoint="primary"}') === 1,
        20_000,
        'the failover in the metrics',
      );
      const took = value(switched, 'redis_ha_last_failover_duration_seconds');
      assert.ok(took !== undefined && took >= 0 && took < 10, `duration ${took}`);
      assert.ok((value(switched, 'redis_ha_last_failover_timestamp_seconds') ?? 0) > 0);
      const rejoined = await until(
        url,
        (x) =>
          value(x, 'redis_up{node="redis01"}') === 1 &&
          value(x, 'redis_master_link_up{node="redis01"}') === 1 &&
          value(x, 'redis_ha_sentinels_agree') === 1,
        30_000,
        'redis01 back as a replica',
      );
      if (promtool) promtoolCheck(rejoined);
      assert.deepEqual(stableSeries(rejoined), before);
      assert.equal(value(rejoined, 'redis_ha_failovers_total'), 1);

      // The same endpoint alone (`redis-ha exporter`), stopped by SIGTERM within a bound.
      const port = await freePort();
      const alone = spawn(
        process.execPath,
        [CLI, 'exporter', '-f', c.file, '--listen', `127.0.0.1:${port}`],
        { cwd: c.dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      alone.stdout.on('data', (d: Buffer) => (out += d.toString()));
      alone.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => alone.on('exit', resolve));
      try {
        const own = await until(
          `http://127.0.0.1:${port}/metrics`,
          (x) => value(x, 'redis_ha_primary{node="redis02"}') === 1,
          10_000,
          'the standalone exporter',
        );
        assert.equal(value(own, 'redis_ha_failovers_total'), 0, 'counted since it started');
        assert.ok((value(own, 'process_resident_memory_bytes') ?? 0) > 0);
        const nf = await fetch(`http://127.0.0.1:${port}/nope`, { headers: { authorization } });
        assert.equal(nf.status, 404);
      } finally {
        alone.kill('SIGTERM');
      }
      const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
      assert.equal(code, 0, `exporter exit: ${String(code)}\n${out}`);

      // The rendered scrape config is valid for Prometheus.
      if (promtool) {
        const r = await c.run(['render', '--out', path.join(c.dir, 'out'), '--prometheus']);
        assert.equal(r.code, 0, r.stderr);
        const cfg = spawnSync(
          PROMTOOL,
          ['check', 'config', path.join(c.dir, 'out/prometheus/prometheus.yml')],
          { encoding: 'utf8' },
        );
        assert.equal(cfg.status, 0, cfg.stdout + cfg.stderr);
      }
    },
  );
});
