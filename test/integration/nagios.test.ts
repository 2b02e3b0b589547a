import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { terminate } from '../../src/util/pids.js';
import { CLI, withCluster } from '../helpers/cluster.js';
import { ensureDebianTool } from '../helpers/debian.js';

const NAGIOS = '/usr/sbin/nagios4';
const BIN = path.resolve(path.dirname(CLI), '../../../bin');

interface ServiceState {
  host: string;
  service: string;
  state: number;
  checked: boolean;
  output: string;
}

function services(statusFile: string): ServiceState[] {
  if (!existsSync(statusFile)) return [];
  const out: ServiceState[] = [];
  for (const block of readFileSync(statusFile, 'utf8').split('servicestatus {').slice(1)) {
    const f = Object.fromEntries(
      block
        .split('}')[0]!
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    out.push({
      host: f.host_name ?? '',
      service: f.service_description ?? '',
      state: Number(f.current_state),
      checked: f.has_been_checked === '1',
      output: f.plugin_output ?? '',
    });
  }
  return out;
}

test('Nagios 4 runs the rendered configuration: all OK, the right services CRITICAL after a kill, OK again', async (t) => {
  if (!ensureDebianTool(NAGIOS, 'nagios4-core'))
    return t.skip('nagios4-core is not installed and cannot be (not root)');
  await withCluster('nagios', { extra: 'backup: { every: 1h, keep: 2 }' }, async (c) => {
    assert.equal((await c.run(['up', '--detach'])).code, 0);
    const b = await c.run(['backup']);
    assert.equal(b.code, 0, b.stderr);
    const out = path.join(c.dir, 'render');
    const r = await c.run(['render', '--out', out, '--nagios', '--plugin-dir', BIN]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(path.join(out, 'nagios/redis-password')).mode & 0o777, 0o600);
    const nagiosCfg = readFileSync(path.join(out, 'nagios/redis-ha.cfg'), 'utf8');
    for (const secret of [c.password(), c.auth('monitor').password])
      assert.ok(!nagiosCfg.includes(secret), 'no password in the Nagios objects');
    assert.match(nagiosCfg, /--user monitor --password-file /);
    const run = path.join(c.dir, 'nagios-run');
    mkdirSync(path.join(run, 'checkresults'), { recursive: true });
    const cfg = path.join(run, 'nagios.cfg');
    writeFileSync(
      cfg,
      [
        `log_file=${run}/nagios.log`,
        `cfg_file=${out}/nagios/redis-ha.cfg`,
        `object_cache_file=${run}/objects.cache`,
        `precached_object_file=${run}/objects.precache`,
        `status_file=${run}/status.dat`,
        'status_update_interval=1',
        'nagios_user=root',
        'nagios_group=root',
        'check_external_commands=0',
        `query_socket=${run}/nagios.qh`,
        `lock_file=${run}/nagios.lock`,
        `temp_file=${run}/nagios.tmp`,
        `temp_path=${run}`,
        `check_result_path=${run}/checkresults`,
        'retain_state_information=0',
        `state_retention_file=${run}/retention.dat`,
        'interval_length=1',
        'enable_notifications=0',
        'service_check_timeout=10',
        'illegal_macro_output_chars=`~$&|\'"<>',
        '',
      ].join('\n'),
    );
    const verify = spawnSync(NAGIOS, ['-v', cfg], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(verify.status, 0, verify.stdout);
    assert.match(verify.stdout, /Total Warnings: 0\s+Total Errors: +0/);

    const nagios = spawn(NAGIOS, [cfg], { stdio: 'ignore' });
    const status = path.join(run, 'status.dat');
    const waitFor = async (
      what: string,
      pred: (s: ServiceState[]) => boolean,
    ): Promise<ServiceState[]> => {
      const deadline = Date.now() + 30_000;
      let s: ServiceState[] = [];
      while (Date.now() < deadline) {
        s = services(status);
        if (s.length === 6 && pred(s)) return s;
        await sleep(500);
      }
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s, null, 1)}`);
    };
    try {
      const ok = await waitFor('every service checked and OK', (s) =>
        s.every((x) => x.checked && x.state === 0),
      );
      assert.match(
        ok.find((x) => x.service === 'backup')?.output ?? '',
        /^BACKUP OK - newest backup \d/,
      );
      // With the supervisor running, the old primary is back as a replica within a second, under
      // Nagios's check interval: freeze the supervisor first, so Sentinel alone fails over and
      // nothing restarts the old primary until the supervisor is resumed.
      const sup = (
        JSON.parse(readFileSync(path.join(c.dir, '.redis-ha/supervisor.pid'), 'utf8')) as {
          pid: number;
        }
      ).pid;
      process.kill(sup, 'SIGSTOP');
      try {
        process.kill(c.pidOf('redis01'), 'SIGKILL');
        const down = await waitFor('the old primary CRITICAL', (s) =>
          s.some((x) => x.host === 'redis-ha-redis01' && x.state === 2),
        );
        assert.match(
          down.find((x) => x.host === 'redis-ha-redis01')?.output ?? '',
          /cannot connect/,
        );
        await waitFor('the sentinels CRITICAL: no healthy replica', (s) =>
          s.filter((x) => x.service === 'sentinel').every((x) => x.state === 2),
        );
      } finally {
        process.kill(sup, 'SIGCONT');
      }
      // The old primary rejoins as a replica; every service returns to OK.
      const back = await waitFor('every service OK again', (s) => s.every((x) => x.state === 0));
      assert.match(back.find((x) => x.host === 'redis-ha-redis01')?.output ?? '', /replica/);
      assert.match(back.find((x) => x.host === 'redis-ha-redis02')?.output ?? '', /primary/);
    } finally {
      if (nagios.pid) await terminate(nagios.pid, 5000);
    }
  });
});
