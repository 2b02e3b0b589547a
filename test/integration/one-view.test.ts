import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/state/ports.js';
import { waitStatus, withCluster, type TestCluster } from '../helpers/cluster.js';

/** Established TCP connections of one process, by the peer port they go to. */
function connectionsOf(pid: number): Map<number, number> {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
  const byPort = new Map<number, number>();
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const peer = line.trim().split(/\s+/)[3] ?? '';
    const port = Number(peer.slice(peer.lastIndexOf(':') + 1));
    byPort.set(port, (byPort.get(port) ?? 0) + 1);
  }
  return byPort;
}

function supervisorPid(c: TestCluster): number {
  const rec = JSON.parse(readFileSync(path.join(c.dir, '.redis-ha/supervisor.pid'), 'utf8')) as {
    pid: number;
  };
  return rec.pid;
}

/** One command connection and one event subscription per sentinel, whatever runs in `up`. */
function assertOneSet(c: TestCluster, when: string): void {
  const conns = connectionsOf(supervisorPid(c));
  for (const port of c.ports.sentinels)
    assert.equal(conns.get(port), 2, `${when}: connections to the sentinel on ${port}`);
}

test('one view per `up` process: every daemon shares one set of sentinel connections', async () => {
  const [ep, rp] = [await freePort(), await freePort()];
  await withCluster(
    'one-view',
    {
      extra: `endpoint: { mode: proxy, listen: "127.0.0.1:${ep}", readListen: "127.0.0.1:${rp}" }`,
    },
    async (c) => {
      const up = await c.run(['up', '--detach']);
      assert.equal(up.code, 0, up.stderr);
      // Every observer at work: the exporter scrapes, the endpoints route, the controller watches.
      await c.metrics();
      const through = c.client(ep, 'app');
      assert.equal(await through.set('k', 'v'), 'OK');
      assertOneSet(c, 'after start');
      // A failover makes the controller ask Sentinel and the endpoint switch.
      process.kill(c.pidOf('redis01'), 'SIGKILL');
      await waitStatus(
        c,
        (s) => s.healthy && s.primary === 'redis02',
        30_000,
        'the failover and the rejoin',
      );
      await c.metrics();
      assertOneSet(c, 'after a failover');
    },
  );
});
