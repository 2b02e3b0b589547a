import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { resolveTopology } from '../../src/topology/load.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
/** Pages another change is writing; a link to them may come first. */
const PENDING = new Set(['docs/architecture.md']);

function pages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** Markdown outside code blocks (a URL printed in a sample is not a link). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```$/gm, '');
}

test('every link in the README and docs/ stays in the repository and resolves', () => {
  for (const page of pages()) {
    const text = prose(readFileSync(path.join(ROOT, page), 'utf8'));
    assert.ok(!text.includes('../shared'), `${page}: points outside the repository`);
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      assert.doesNotMatch(target, /^[a-z]+:/i, `${page}: an external link, ${target}`);
      const file = target.split('#')[0] ?? '';
      if (file === '') continue;
      const abs = path.resolve(path.dirname(path.join(ROOT, page)), file);
      const rel = path.relative(ROOT, abs);
      assert.ok(!rel.startsWith('..'), `${page}: ${target} leaves the repository`);
      assert.ok(existsSync(abs) || PENDING.has(rel), `${page}: ${target} does not exist`);
    }
    assert.doesNotMatch(text, /<https?:\/\//, `${page}: an external autolink`);
  }
});

test('no table row wider than 120 characters (prettier pads every row to the widest)', () => {
  for (const page of pages()) {
    const lines = readFileSync(path.join(ROOT, page), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.startsWith('|'))
        assert.ok(line.length <= 120, `${page}:${i + 1} is ${line.length} characters wide`);
    });
  }
});

test('examples/redis-ha.yaml is the built-in seed written out (its endpoint included)', () => {
  const file = parse(readFileSync(path.join(ROOT, 'examples/redis-ha.yaml'), 'utf8')) as unknown;
  assert.deepEqual(resolveTopology(file, 'x', '/tmp'), resolveTopology(SEED_TOPOLOGY, 'x', '/tmp'));
});
