// Regenerates generated docs after a build: the defaults table in docs/topology.md from
// src/topology/defaults.ts, and docs/prometheus/redis-ha-alerts.yml from src/render/prometheus-conf.ts.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
const { renderDefaultsTable } = await import('../dist/src/topology/docs.js');
const { renderAlertRules } = await import('../dist/src/render/prometheus-conf.js');
const check = process.argv.includes('--check');
let stale = false;
function update(url, next) {
  const doc = existsSync(url) ? readFileSync(url, 'utf8') : '';
  if (next === doc) return;
  if (check) {
    console.error(`${url.pathname} is stale: run \`npm run docs\``);
    stale = true;
  } else writeFileSync(url, next);
}
const topo = new URL('../docs/topology.md', import.meta.url);
update(
  topo,
  readFileSync(topo, 'utf8').replace(
    /<!-- defaults:start[\s\S]*?<!-- defaults:end -->/,
    renderDefaultsTable(),
  ),
);
mkdirSync(new URL('../docs/prometheus/', import.meta.url), { recursive: true });
update(new URL('../docs/prometheus/redis-ha-alerts.yml', import.meta.url), renderAlertRules());
if (stale) process.exit(1);
