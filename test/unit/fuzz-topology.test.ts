import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { isRedisHaError } from '../../src/errors/errors.js';
import { parseTopologyText } from '../../src/topology/load.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { FUZZ_SEED, mutate, pick, rng } from '../helpers/fuzz.js';

const SEED_YAML = stringify({
  ...SEED_TOPOLOGY,
  endpoint: { mode: 'proxy', listen: '127.0.0.1:auto', readListen: '127.0.0.1:auto' },
  persistence: { mode: 'rdb+aof', save: ['60 1'] },
  sentinel: { downAfter: '2s', failoverTimeout: '10s' },
  memory: { maxmemory: '512mb' },
});

const TOKENS = [
  ': ',
  '\n',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '&a ',
  '*a',
  '!!binary ',
  '!!js/function ',
  '"',
  "'",
  '#',
  '|',
  '>',
  '\t',
  '\u0000',
  '~',
  'null',
  '-1',
  '1e309',
  '99999999999999999999',
  '0x1F',
  '__proto__: {polluted: true}\n',
  'constructor: 1\n',
  '<<: *a\n',
  '\ufeff',
  '%YAML 1.1\n---\n',
  '...\n',
];

/** Every outcome is a topology or a clear error (a RedisHaError naming the file); nothing else. */
function judge(text: string): 'ok' | 'error' {
  const t0 = performance.now();
  try {
    parseTopologyText(text, 'fuzz.yaml', '/tmp');
    return 'ok';
  } catch (e) {
    assert.ok(
      isRedisHaError(e),
      `not a clear error: ${String(e)}\n--- input:\n${text.slice(0, 500)}`,
    );
    assert.match(e.message, /fuzz\.yaml/, 'the error names the file');
    assert.doesNotMatch(e.message, /\n\s+at .*:\d+:\d+/, 'no stack trace in the message');
    return 'error';
  } finally {
    const took = performance.now() - t0;
    assert.ok(took < 2000, `one document took ${Math.round(took)} ms`);
  }
}

test(`topology parser fuzz: 3000 mutated documents, each a topology or a clear error (seed ${FUZZ_SEED})`, () => {
  const r = rng(FUZZ_SEED);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 3000; i++) {
    let text = SEED_YAML;
    const edits = 1 + Math.floor(r() * 6);
    for (let k = 0; k < edits; k++) text = mutate(r, text, TOKENS);
    outcomes[judge(text)]++;
  }
  assert.ok(outcomes.error > 1000, `most mutations are errors (${JSON.stringify(outcomes)})`);
  assert.ok(({} as Record<string, unknown>).polluted === undefined, 'no prototype pollution');
});

test(`topology parser fuzz: random documents and hostile shapes (seed ${FUZZ_SEED})`, () => {
  const r = rng(FUZZ_SEED + 1);
  for (let i = 0; i < 1000; i++) {
    const len = Math.floor(r() * 400);
    let text = '';
    for (let k = 0; k < len; k++)
      text += r() < 0.3 ? pick(r, TOKENS) : String.fromCharCode(32 + Math.floor(r() * 95));
    judge(text);
  }
  const hostile = [
    '',
    '\u0000\u0001\u0002',
    // Deep nesting: flow and block.
    `nodes: ${'['.repeat(5000)}${']'.repeat(5000)}`,
    `nodes:\n${Array.from({ length: 3000 }, (_, d) => `${' '.repeat(d + 2)}k${d}:`).join('\n')} 1`,
    // Huge values.
    `masterName: ${'x'.repeat(2_000_000)}`,
    `nodes: { a: { role: primary, port: ${'9'.repeat(100_000)} } }`,
    // Anchor bombs ("billion laughs").
    [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'nodes: *f',
    ].join('\n'),
    // Many keys, many nodes.
    `nodes:\n${Array.from({ length: 20_000 }, (_, k) => `  n${k}: { role: replica }`).join('\n')}`,
    'nodes: !!js/function "function(){}"',
    'nodes: { __proto__: { role: primary } }',
    '--- 1\n--- 2\n',
  ];
  for (const text of hostile) judge(text);
});
