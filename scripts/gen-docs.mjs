// Regenerates the defaults table in docs/topology.md from src/topology/defaults.ts (after a build).
import { readFileSync, writeFileSync } from 'node:fs';
const { renderDefaultsTable } = await import('../dist/src/topology/docs.js');
const file = new URL('../docs/topology.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const next = doc.replace(/<!-- defaults:start[\s\S]*?<!-- defaults:end -->/, renderDefaultsTable());
if (process.argv.includes('--check')) {
  if (next !== doc) {
    console.error('docs/topology.md is stale: run `npm run docs`');
    process.exit(1);
  }
} else writeFileSync(file, next);
