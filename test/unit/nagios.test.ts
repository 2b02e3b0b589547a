import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassword } from '../../src/state/secrets.js';
import {
  alerts,
  CRITICAL,
  evaluate,
  formatOutput,
  formatPerf,
  OK,
  parseRange,
  UNKNOWN,
  WARNING,
} from '../../src/monitor/nagios.js';
import { parseCheckArgs } from '../../src/monitor/check-args.js';
import { sentinelVerdict } from '../../src/monitor/check-peers.js';
import { analyzeNode } from '../../src/monitor/check-redis.js';
import { analyzeSentinel, parseSentinelArgs } from '../../src/monitor/check-sentinel.js';
import { renderNagios } from '../../src/render/nagios-conf.js';
import { SEED_TOPOLOGY } from '../../src/topology/seed.js';
import { boundTopology } from '../helpers/bound.js';

test('every Nagios range form', () => {
  const cases: [string, number, boolean][] = [
    ['10', -1, true],
    ['10', 0, false],
    ['10', 10, false],
    ['10', 11, true],
    ['10:', 9, true],
    ['10:', 10, false],
    ['10:', 1e9, false],
    ['~:10', -1e9, false],
    ['~:10', 11, true],
    ['10:20', 9, true],
    ['10:20', 15, false],
    ['10:20', 21, true],
    ['@10:20', 15, true],
    ['@10:20', 9, false],
    ['@10:20', 10, true],
    ['-5:-1', -3, false],
    ['0.5', 0.6, true],
  ];
  for (const [r, v, expected] of cases)
    assert.equal(alerts(parseRange(r), v), expected, `${r} with ${v}`);
  for (const bad of ['', 'x', '20:10', '1:2:3', '@'])
    assert.throws(() => parseRange(bad), /range|invalid/, bad);
});

test('critical beats warning; perfdata and the status line follow the guidelines', () => {
  const t = { warn: parseRange('100'), crit: parseRange('500') };
  assert.equal(evaluate(t, 50), OK);
  assert.equal(evaluate(t, 200), WARNING);
  assert.equal(evaluate(t, 900), CRITICAL);
  assert.equal(
    formatPerf({ label: 'response_time', value: 0.0123, uom: 's', thresholds: t, min: 0 }),
    "'response_time'=0.012s;100;500;0",
  );
  assert.equal(formatPerf({ label: "it's", value: 3 }), "'it''s'=3");
  const out = formatOutput(
    'REDIS',
    [
      { state: WARNING, text: 'w1' },
      { state: OK, text: 'fine' },
      { state: CRITICAL, text: 'c1' },
      { state: UNKNOWN, text: 'u1' },
    ],
    [{ label: 'x', value: 1 }],
    'all good',
    true,
  );
  assert.equal(out.state, CRITICAL);
  assert.equal(
    out.text,
    "REDIS CRITICAL - c1; u1; w1 | 'x'=1\n[WARNING] w1\n[OK] fine\n[CRITICAL] c1\n[UNKNOWN] u1",
  );
  assert.equal(
    formatOutput('REDIS', [{ state: OK, text: 'a' }], [], 'all good', false).text,
    'REDIS OK - all good',
  );
});

test('check_redis accepts the seed usage unchanged, and reports bad arguments', () => {
  const p = parseCheckArgs(
    ['-H', 'redis01', '-p', '6380', '-w', '100', '-c', '500', '-t', '5', '-P', 'pw'],
    {},
  );
  assert.equal(p.options.conn.host, 'redis01');
  assert.equal(p.options.conn.port, 6380);
  assert.equal(p.options.password, 'pw');
  assert.equal(p.timeoutMs, 5000);
  assert.equal(p.options.t.response.crit?.end, 500);
  assert.equal(parseCheckArgs([], { REDISCLI_AUTH: 'env' }).options.password, 'env');
  const s = parseCheckArgs(
    ['--sentinels', '10.0.0.1:26379,[::1]:26380', '--lag-bytes-critical', '1000'],
    {},
  );
  assert.deepEqual(s.options.sentinels, [
    { host: '10.0.0.1', port: 26379 },
    { host: '::1', port: 26380 },
  ]);
  assert.equal(s.options.t.lagBytes.crit?.end, 1000);
  for (const bad of [
    ['-p', 'x'],
    ['--role', 'boss'],
    ['--nope'],
    ['-w', '10:5'],
    ['--sentinels', 'host'],
  ])
    assert.throws(() => parseCheckArgs(bad, {}), { code: 'USAGE' }, bad.join(' '));
});

const baseOptions = parseCheckArgs([], {}).options;

test('a primary without replicas: role ok, replicas range alerts, maxmemory 0 is not a percentage', () => {
  const o = parseCheckArgs(['--role', 'primary', '--replicas-critical', '1:'], {}).options;
  const r = analyzeNode(
    o,
    { role: 'master', used_memory: '1000', maxmemory: '0', connected_slaves: '0' },
    1.5,
  );
  const crit = r.findings.filter((f) => f.state === CRITICAL).map((f) => f.text);
  assert.deepEqual(crit, ['0/0 replicas in sync']);
  assert.ok(r.findings.some((f) => /maxmemory 0/.test(f.text)));
  assert.ok(!r.perf.some((p) => p.label === 'memory_used_pct'));
});

test('a replica with its link down is CRITICAL by default; ranges on seconds override', () => {
  const info = {
    role: 'slave',
    master_host: '127.0.0.1',
    master_port: '6379',
    master_link_status: 'down',
    master_link_down_since_seconds: '12',
  };
  const def = analyzeNode(baseOptions, info, 1);
  assert.ok(def.findings.some((f) => f.state === CRITICAL && /down for 12s/.test(f.text)));
  const o = parseCheckArgs(['--link-down-warning', '10', '--link-down-critical', '60'], {}).options;
  assert.ok(
    analyzeNode(o, info, 1).findings.some(
      (f) => f.state === WARNING && /down for 12s/.test(f.text),
    ),
  );
  const primary = parseCheckArgs(['--role', 'primary'], {}).options;
  assert.ok(
    analyzeNode(primary, info, 1).findings.some(
      (f) => f.text === 'role is replica, expected primary',
    ),
  );
});

test('memory %, failed saves, and lag on a primary are judged', () => {
  const o = parseCheckArgs(
    ['--memory-warning', '80', '--lag-critical', '5', '--lag-bytes-warning', '100'],
    {},
  ).options;
  const r = analyzeNode(
    o,
    {
      role: 'master',
      used_memory: '900',
      maxmemory: '1000',
      rdb_last_bgsave_status: 'err',
      master_repl_offset: '5000',
      slave0: 'ip=127.0.0.1,port=6380,state=online,offset=4000,lag=9',
    },
    1,
  );
  const bad = r.findings.filter((f) => f.state !== OK).map((f) => `${f.state}:${f.text}`);
  assert.deepEqual(bad.sort(), [
    '1:memory 90.0% of maxmemory',
    '1:replica lag 1000 bytes',
    '2:last RDB save failed (err)',
    '2:replica lag 9s',
  ]);
});

test('sentinel majority: split brain, wrong replica, no majority', () => {
  const me = { host: '127.0.0.1', port: 6379 };
  const other = ['127.0.0.1', '6380'];
  const mine = ['127.0.0.1', '6379'];
  assert.equal(sentinelVerdict([other, other, mine], me, 'primary').state, CRITICAL);
  assert.match(sentinelVerdict([other, other, mine], me, 'primary').text, /split brain/);
  assert.equal(sentinelVerdict([mine, mine, undefined], me, 'primary').state, OK);
  assert.equal(sentinelVerdict([mine, mine, other], me, 'replica').state, CRITICAL);
  assert.equal(sentinelVerdict([mine, undefined, undefined], me, 'primary').state, WARNING);
});

test('check_redis_sentinel: TILT, a down primary, no quorum, counts against ranges', () => {
  const o = parseSentinelArgs(
    ['--sentinels-critical', '3:', '--replicas-warning', '1:'],
    {},
  ).options;
  const master = { ip: '127.0.0.1', port: '6379', flags: 'master', 'num-other-sentinels': '2' };
  const healthy = { flags: 'slave', 'master-link-status': 'ok' };
  const ok = analyzeSentinel(o, {
    tilt: false,
    master,
    ckquorum: 'OK 3 usable Sentinels',
    replicas: [healthy],
  });
  assert.deepEqual(
    ok.findings.map((f) => f.state),
    [OK, OK, OK, OK, OK],
  );
  const bad = analyzeSentinel(o, {
    tilt: true,
    master: { ...master, flags: 's_down,master', 'num-other-sentinels': '1' },
    ckquorum: new Error('NOQUORUM 2 usable Sentinels'),
    replicas: [{ ...healthy, flags: 'slave,s_down' }],
  });
  assert.deepEqual(
    bad.findings.map((f) => `${f.state}:${f.text}`),
    [
      '2:in TILT mode (not acting)',
      '2:primary 127.0.0.1:6379 is s_down,master',
      '2:quorum: NOQUORUM 2 usable Sentinels',
      '2:2 sentinels known',
      '1:0/1 replicas healthy',
    ],
  );
  const unknown = analyzeSentinel(o, {
    tilt: false,
    master: new Error('ERR No such master with that name'),
    ckquorum: '',
    replicas: [],
  });
  assert.equal(unknown.findings.at(-1)?.state, CRITICAL);
});

test('plugin arguments: a value starting with "-" is the option value (a password, a negative range)', () => {
  const p = parseCheckArgs(
    ['-P', '-secret_0123', '--user', 'monitor', '-w', '-5:', '-p', '7000'],
    {},
  );
  assert.equal(p.options.password, '-secret_0123');
  assert.equal(p.options.t.response.warn?.start, -5);
  assert.equal(parseCheckArgs(['--password', '-x'], {}).options.password, '-x');
  for (let i = 0; i < 2000; i++) assert.ok(!generatePassword().startsWith('-'));
});

test('render --nagios: with scheduled backups, a backup service on their age (one missed warns, two are critical); none where the backups live on other hosts', () => {
  const t = boundTopology({ ...SEED_TOPOLOGY, backup: { every: '1h', keep: 24 } });
  const o = {
    pluginDir: '/p',
    redisPasswordFile: '/n/redis-password',
    sentinelPasswordFile: '/n/sentinel-password',
  };
  const cfg = renderNagios(t, { ...o, backupDir: '/var/backups/rh' });
  assert.match(cfg, /command_line +\/p\/check_redis_backup -d \/var\/backups\/rh -w 7200 -c 10800/);
  assert.match(cfg, /service_description +backup\n +check_command +redis-ha-check-backup/);
  assert.doesNotMatch(renderNagios(t, o), /backup/);
  assert.doesNotMatch(
    renderNagios(boundTopology(), { ...o, backupDir: '/x' }),
    /check_redis_backup/,
  );
});
