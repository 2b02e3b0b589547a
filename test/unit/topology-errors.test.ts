import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyProblems } from '../helpers/topology.js';
import { parseTopologyText } from '../../src/topology/load.js';
import { RedisHaError } from '../../src/errors/errors.js';

const OK = `nodes:
  redis01: {role: primary}
  redis02: {role: replica}
sentinels:
  s1: {}
  s2: {}
  s3: {}
`;

const problems = (yaml: string): string[] =>
  topologyProblems(() => parseTopologyText(yaml, 'bad.yaml', '/tmp'));

const HOSTS = `hosts:
  redis01: {address: 10.0.0.1}
  redis02: {address: 10.0.0.2}
nodes:
  redis01: {role: primary, host: redis01}
  redis02: {role: replica, host: redis2}
sentinels:
  s1: {host: redis01}
  s2: {host: redis02}
  s3: {host: redis02, port: 26380}
`;

const cases: [string, string, string[]][] = [
  [
    'a member on a host that `hosts` does not declare',
    HOSTS,
    [
      'bad.yaml:6: nodes.redis02.host: "redis2" is not a host of `hosts` (redis01, redis02); did you mean "redis02"?',
    ],
  ],
  [
    'vip: a fence timeout that is not below down-after',
    `${HOSTS.replace('host: redis2', 'host: redis02')}endpoint: {mode: vip, address: 10.0.0.100, fenceTimeout: 2s}\n`,
    [
      'bad.yaml:11: endpoint.fenceTimeout: expected less than sentinel.downAfter (2000ms): an isolated primary must drop the address before the majority can promote another node',
    ],
  ],
  [
    'unknown top-level key with a suggestion',
    `${OK}qorum: 2\n`,
    ['bad.yaml:8: qorum: unknown key (did you mean "quorum"?)'],
  ],
  [
    'unknown node key with a suggestion',
    OK.replace('{role: replica}', '{role: replica, prot: 7000}'),
    ['bad.yaml:3: nodes.redis02.prot: unknown key (did you mean "port"?)'],
  ],
  [
    'unknown sentinel timing key',
    `${OK}sentinel:\n  downafter: 2s\n`,
    ['bad.yaml:9: sentinel.downafter: unknown key (did you mean "downAfter"?)'],
  ],
  [
    'unknown key far from any',
    `${OK}colour: blue\n`,
    [
      'bad.yaml:8: colour: unknown key; expected one of: hosts, masterName, stateDir, nodes, sentinels, quorum, persistence, memory, sentinel, replication, supervisor, redis, endpoint, exporter, auth, tls, backup, dashboard',
    ],
  ],
  [
    'role missing',
    OK.replace('{role: replica}', '{port: 7000}'),
    ['bad.yaml:3: nodes.redis02.role: missing; expected "primary" or "replica"'],
  ],
  [
    'role misspelt',
    OK.replace('{role: replica}', '{role: slave}'),
    ['bad.yaml:3: nodes.redis02.role: expected "primary" or "replica"'],
  ],
  [
    'port out of range',
    OK.replace('{role: replica}', '{role: replica, port: 70000}'),
    ['bad.yaml:3: nodes.redis02.port: expected a port number 1-65535 or "auto"'],
  ],
  [
    'port as text',
    OK.replace('{role: replica}', '{role: replica, port: six}'),
    ['bad.yaml:3: nodes.redis02.port: expected a port number 1-65535 or "auto"'],
  ],
  [
    'two primaries',
    OK.replace('{role: replica}', '{role: primary}'),
    [
      'bad.yaml:2: nodes: expected exactly one node with role "primary", found 2 (redis01, redis02)',
    ],
  ],
  [
    'no primary',
    OK.replace('{role: primary}', '{role: replica}'),
    ['bad.yaml:2: nodes: expected exactly one node with role "primary", found 0'],
  ],
  [
    'quorum above the sentinel count',
    `${OK}quorum: 4\n`,
    [
      'bad.yaml:8: quorum: quorum 4 is more than the 3 sentinels defined; the primary could never be declared down',
    ],
  ],
  [
    'quorum zero',
    `${OK}quorum: 0\n`,
    ['bad.yaml:8: quorum: Number must be greater than or equal to 1'],
  ],
  [
    'duplicate host:port',
    OK.replace('{role: primary}', '{role: primary, port: 7000}').replace(
      '{role: replica}',
      '{role: replica, port: 7000}',
    ),
    ['bad.yaml:3: nodes.redis02.port: 127.0.0.1:7000 is already used by nodes.redis01'],
  ],
  [
    'node and sentinel on the same port',
    OK.replace('{role: primary}', '{role: primary, port: 7000}').replace(
      's1: {}',
      's1: {port: 7000}',
    ),
    ['bad.yaml:5: sentinels.s1.port: 127.0.0.1:7000 is already used by nodes.redis01'],
  ],
  [
    'bad duration',
    `${OK}sentinel:\n  downAfter: 2 seconds\n`,
    ['bad.yaml:9: sentinel.downAfter: expected a duration such as "500ms", "2s" or "1m"'],
  ],
  [
    'duration as a number',
    `${OK}sentinel:\n  downAfter: 2000\n`,
    ['bad.yaml:9: sentinel.downAfter: expected a duration such as "500ms", "2s" or "1m"'],
  ],
  [
    'bad size',
    `${OK}memory:\n  maxmemory: lots\n`,
    ['bad.yaml:9: memory.maxmemory: expected a size such as "512mb", "8gb" or 0'],
  ],
  [
    'unknown eviction policy',
    `${OK}memory:\n  policy: lru\n`,
    [
      "bad.yaml:9: memory.policy: Invalid enum value. Expected 'noeviction' | 'allkeys-lru' | 'allkeys-lfu' | 'allkeys-random' | 'volatile-lru' | 'volatile-lfu' | 'volatile-random' | 'volatile-ttl', received 'lru'",
    ],
  ],
  [
    'unknown persistence mode',
    `${OK}persistence:\n  mode: snapshot\n`,
    [
      "bad.yaml:9: persistence.mode: Invalid enum value. Expected 'rdb' | 'aof' | 'rdb+aof' | 'none', received 'snapshot'",
    ],
  ],
  [
    'bad save line',
    `${OK}persistence:\n  save: ["every minute"]\n`,
    ['bad.yaml:9: persistence.save.0: expected "seconds changes", for example "60 1"'],
  ],
  [
    'min-replicas above the replica count',
    `${OK}replication:\n  minReplicasToWrite: 2\n`,
    [
      'bad.yaml:9: replication.minReplicasToWrite: 2 is more than the 1 replica defined; the primary would refuse every write',
    ],
  ],
  [
    'failover timeout below down-after',
    `${OK}sentinel:\n  downAfter: 5s\n  failoverTimeout: 1s\n`,
    ['bad.yaml:10: sentinel.failoverTimeout: expected at least sentinel.downAfter (5000ms)'],
  ],
  [
    'no nodes',
    'nodes: {}\nsentinels:\n  s1: {}\nquorum: 1\n',
    [
      'bad.yaml:1: nodes: expected at least one node',
      'bad.yaml:1: nodes: expected exactly one node with role "primary", found 0',
    ].slice(0, 1),
  ],
  [
    'node name with a space',
    OK.replace('redis02:', '"redis 02":'),
    [
      'bad.yaml:3: nodes.redis 02: expected a name of letters, digits, "-" or "_", starting with a letter',
    ],
  ],
  [
    'name shared by a node and a sentinel',
    OK.replace('s1: {}', 'redis01: {}'),
    [
      'bad.yaml:5: sentinels.redis01: name "redis01" is already used by a node; names must be unique',
    ],
  ],
  [
    'YAML syntax error',
    'nodes:\n  redis01: {role: primary\n',
    [
      'bad.yaml:3: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
    ],
  ],
  [
    'duplicate YAML key',
    'nodes:\n  redis01: {role: primary}\n  redis01: {role: replica}\nsentinels: {s1: {}}\n',
    ['bad.yaml:3: YAML syntax error: Map keys must be unique'],
  ],
  [
    'not a mapping',
    '- just\n- a list\n',
    ['bad.yaml:1: expected a mapping of keys (nodes, sentinels, quorum, ...)'],
  ],
];

for (const [name, yaml, expected] of cases) {
  test(`topology error: ${name}`, () => {
    assert.deepEqual(problems(yaml), expected);
  });
}

test('every error names the file and a key path', () => {
  for (const [, yaml] of cases)
    for (const p of problems(yaml)) assert.match(p, /^bad\.yaml(:\d+)?: /);
});

test('the error carries a hint and structured details for --json', () => {
  try {
    parseTopologyText(`${OK}qorum: 2\n`, 'bad.yaml', '/tmp');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof RedisHaError);
    assert.match(e.hint ?? '', /redis-ha validate/);
    assert.deepEqual((e.details?.problems as { path: string }[])[0]?.path, 'qorum');
  }
});

test('YAML alias bombs are refused instead of expanded', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 0; i < 8; i++)
    bomb.push(
      `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
        .fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`)
        .join(',')}]`,
    );
  const text = `${bomb.join('\n')}\n${OK}`;
  assert.throws(
    () => parseTopologyText(text, 'bomb.yaml', '/tmp'),
    (e: unknown) => e instanceof RedisHaError && e.code === 'TOPOLOGY_INVALID',
  );
});
