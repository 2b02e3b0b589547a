import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { terminate } from '../../src/util/pids.js';
import { freePort } from '../../src/state/ports.js';
import { CLI, withCluster, waitStatus } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';

const PROMETHEUS = '/usr/bin/prometheus';
const DASHBOARD = path.resolve(path.dirname(CLI), '../../../docs/grafana/redis-ha.json');

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: unknown;
  targets?: { expr: string; datasource?: { uid?: string } }[];
}

/** Grafana's variables as a dashboard sees them: every job, 10 s rate windows, a 5 min range. */
function resolve(expr: string): string {
  return expr
    .replaceAll('$job', '.+')
    .replaceAll('$__rate_interval', '10s')
    .replaceAll('$__range', '5m');
}

function queries(): { panel: string; expr: string }[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    __inputs: { name: string; pluginId: string }[];
    panels: Panel[];
  };
  // Importable: the data source is an input, every panel placed, ids unique.
  assert.deepEqual(
    d.__inputs.map((i) => [i.name, i.pluginId]),
    [['DS_PROMETHEUS', 'prometheus']],
  );
  assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length);
  const out: { panel: string; expr: string }[] = [];
  for (const p of d.panels) {
    assert.ok(p.gridPos, `${p.title}: no gridPos`);
    if (p.type === 'row') continue;
    assert.ok(p.targets?.length, `${p.title}: no query`);
    for (const t of p.targets ?? []) {
      assert.equal(t.datasource?.uid, '${DS_PROMETHEUS}', p.title);
      out.push({ panel: p.title, expr: t.expr });
    }
  }
  return out;
}

async function query(base: string, expr: string): Promise<unknown[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  assert.equal(body.status, 'success', `${expr}: ${body.error ?? r.status}`);
  return body.data?.result ?? [];
}

/** Debian's prometheus scraping the topology with the config `render --prometheus` writes. */
async function startPrometheus(
  dir: string,
  out: string,
): Promise<{ base: string; pid: number; log: () => string }> {
  const cfg = parse(readFileSync(path.join(out, 'prometheus/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: Record<string, unknown>[];
  };
  cfg.global = { scrape_interval: '1s', evaluation_interval: '1s' };
  for (const job of cfg.scrape_configs) job.scrape_timeout = '1s';
  const file = path.join(dir, 'prometheus-test.yml');
  writeFileSync(file, stringify(cfg));
  const port = await freePort();
  const p = spawn(
    PROMETHEUS,
    [
      `--config.file=${file}`,
      `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  p.stdout.on('data', (d: Buffer) => (log += d.toString()));
  p.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${base}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || p.exitCode !== null)
      throw new Error(`prometheus did not become ready:\n${log}`);
    await sleep(200);
  }
  return { base, pid: p.pid ?? 0, log: () => log };
}

test("the Grafana dashboard: Debian's Prometheus scrapes up's exporter and every panel's query returns data", async (t) => {
  if (!ensureDebianTool(PROMETHEUS, 'prometheus'))
    return t.skip('prometheus (Debian) is not installed and cannot be (not root)');
  const wanted = queries();
  await withCluster('grafana', {}, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const out = path.join(c.dir, 'out');
    assert.equal((await c.run(['render', '--out', out, '--prometheus'])).code, 0);
    const prom = await startPrometheus(c.dir, out);
    const missing = new Map<string, string>();
    try {
      // Scraping (Prometheus applies discovered targets after up to 5 s), then a failover, so
      // that its panels (count, duration, endpoint switches) have something to show.
      const scraping = Date.now() + 30_000;
      while ((await query(prom.base, 'up{job="redis-ha"} == 1')).length === 0) {
        if (Date.now() > scraping) throw new Error('prometheus never scraped the exporter');
        await sleep(500);
      }
      await sleep(2000);
      process.kill(c.pidOf('redis01'), 'SIGKILL');
      await waitStatus(
        c,
        (s) => s.healthy && s.primary === 'redis02',
        30_000,
        'redis02 primary, redis01 back as its replica',
      );
      const jobs = await fetch(`${prom.base}/api/v1/label/job/values?match[]=redis_ha_primary`);
      assert.deepEqual(((await jobs.json()) as { data: string[] }).data, ['redis-ha']);
      const deadline = Date.now() + 30_000;
      do {
        missing.clear();
        for (const q of wanted)
          if ((await query(prom.base, resolve(q.expr))).length === 0) missing.set(q.expr, q.panel);
        if (missing.size > 0) await sleep(1000);
      } while (missing.size > 0 && Date.now() < deadline);
      const failovers = await query(prom.base, 'max(redis_ha_failovers_total)');
      assert.match(JSON.stringify(failovers), /"1"\]/, 'the failover counted');
      assert.deepEqual(
        [...missing].map(([expr, panel]) => `${panel}: ${expr}`),
        [],
        'panels without data',
      );
    } catch (e) {
      const targets = await fetch(`${prom.base}/api/v1/targets`).then((r) => r.text(), String);
      process.stderr.write(`--- prometheus targets\n${targets.slice(0, 3000)}\n`);
      process.stderr.write(`--- prometheus log\n${prom.log().slice(-3000)}\n`);
      throw e;
    } finally {
      await terminate(prom.pid, 5000);
    }
  });
});
