import { prepareState } from '../../state/prepare.js';
import { renderBundles, topologyForHost } from '../../render/bundle/write-bundles.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisHaError } from '../../errors/errors.js';
import { LabInit } from '../../lab/lab-init.js';
import {
  createLab,
  destroyLab,
  inClient,
  inHost,
  labDir,
  readLab,
  requireRoot,
  unitPids,
  vipHolders,
  type LabState,
} from '../../lab/lab.js';
import { isAlive } from '../../util/pids.js';
import { onShutdown } from '../../util/signals.js';
import { loadTopology, resolveTopology } from '../../topology/load.js';
import { designatedPrimary, hostOf, type Topology } from '../../topology/model.js';
import { LAB_SOURCE, LAB_TOPOLOGY } from '../../topology/seed.js';
import type { CommandContext, CommandResult, TopologyOptions } from '../context.js';

/** -f, else ./redis-ha.yaml, else the built-in lab (the seed's three hosts with a VIP). */
export function labTopology(o: TopologyOptions): Topology {
  const t = o.file
    ? loadTopology({ file: o.file })
    : resolveTopology(LAB_TOPOLOGY, LAB_SOURCE, process.cwd());
  return o.stateDir ? Object.freeze({ ...t, stateDir: path.resolve(o.stateDir) }) : t;
}

/** The topology file the lab's own commands (status, drill) use from the client host. */
export const labTopologyFile = (t: Pick<Topology, 'stateDir'>): string =>
  path.join(labDir(t), 'redis-ha.yaml');

export async function labUpCommand(
  o: TopologyOptions & { keep?: boolean; empty?: boolean },
  ctx: CommandContext,
): Promise<CommandResult> {
  requireRoot('redis-ha lab up');
  const prepared = await prepareState(labTopology(o));
  const { t } = prepared;
  const started = Date.now();
  const lab = await createLab(t, ctx.progress);
  try {
    writeFileSync(labTopologyFile(t), topologyForHost(t, t.stateDir));
    if (o.empty)
      return {
        text: `lab hosts up, nothing installed: ${lab.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}; install with \`redis-ha deploy --lab\``,
        json: { lab },
      };
    const primary = designatedPrimary(t);
    const out = path.join(labDir(t), 'bundles');
    renderBundles(prepared, primary, out);
    // The primary's host first: replicas and sentinels then find it up.
    const first = hostOf(t, primary).name;
    const order = [...lab.hosts].sort(
      (a, b) => Number(b.name === first) - Number(a.name === first),
    );
    for (const h of order) {
      ctx.progress(`installing ${h.name} ...`);
      const r = inHost(h, ['sh', path.join(out, h.name, 'install.sh')], { REDIS_HA_LAB: '1' });
      for (const l of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) ctx.progress(`  ${l}`);
      if (r.status !== 0)
        throw new RedisHaError('LAB_FAILED', `${h.name}: install.sh failed (exit ${r.status})`, {
          hint: `see the lines above and ${path.join(h.root, 'logs')}`,
        });
    }
    await waitLabHealthy(t, lab, ctx.progress, 90_000);
    const holders = vipHolders(lab, t.endpoint.address ?? '');
    const vip = t.endpoint.address;
    return {
      text: [
        `lab up in ${((Date.now() - started) / 1000).toFixed(1)}s: ${lab.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}; client ${lab.client.address} (${lab.client.ns})`,
        vip ? `floating address ${vip} held by ${holders.join(', ') || 'nobody yet'}` : '',
        `try: ip netns exec ${lab.client.ns} redis-cli -h ${vip ?? lab.hosts[0]?.address} --user app --askpass PING`,
        'stop: redis-ha lab down',
      ]
        .filter(Boolean)
        .join('\n'),
      json: { lab, vipHolders: holders },
    };
  } catch (e) {
    if (!o.keep) {
      ctx.progress('lab up failed: removing what it created (--keep to leave it for a look)');
      await destroyLab(t, ctx.progress).catch(() => undefined);
    }
    throw e;
  }
}

/** `redis-ha status` from the client host until healthy, and the VIP held by one host. */
export async function waitLabHealthy(
  t: Topology,
  lab: LabState,
  progress: (l: string) => void,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = inClient(
      lab,
      [process.execPath, process.argv[1] ?? '', 'status', '-f', labTopologyFile(t)],
      20_000,
    );
    const holders = t.endpoint.mode === 'vip' ? vipHolders(lab, t.endpoint.address ?? '') : ['-'];
    if (r.status === 0 && holders.length === 1) return;
    const line = `waiting for the lab to be healthy: ${(r.stdout.split('\n').find((l) => /problem|DEGRADED|waiting|-/.test(l)) ?? r.stderr.split('\n')[0] ?? '').trim()}; VIP on ${holders.join(', ') || 'no host'}`;
    if (line !== last) progress(line);
    last = line;
    await sleep(500);
  }
  throw new RedisHaError('TIMEOUT', `the lab did not become healthy within ${timeoutMs / 1000}s`, {
    hint: `${last}; logs under ${labDir(t)}/hosts/*/logs`,
  });
}

export async function labDownCommand(
  o: TopologyOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const t = labTopology(o);
  const r = await destroyLab(t, ctx.progress);
  return {
    text: r.removed.length ? `lab removed (${r.removed.length} namespaces)` : 'no lab was up',
    json: r,
  };
}

export function labStatusCommand(o: TopologyOptions): CommandResult {
  const t = labTopology(o);
  const lab = readLab(t);
  if (!lab) return { text: 'no lab is up', json: { up: false }, exitCode: 1 };
  const hosts = lab.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    ns: h.ns,
    init: h.initPid && isAlive(h.initPid) ? h.initPid : null,
    units: Object.fromEntries(
      Object.entries(unitPids(h)).map(([u, pid]) => [u, pid && isAlive(pid) ? pid : null]),
    ),
  }));
  const holders = t.endpoint.address ? vipHolders(lab, t.endpoint.address) : [];
  const text = [
    `lab ${lab.id}: client ${lab.client.address} (${lab.client.ns})${t.endpoint.address ? `; ${t.endpoint.address} held by ${holders.join(', ') || 'nobody'}` : ''}`,
    ...hosts.map(
      (h) =>
        `  ${h.name.padEnd(12)} ${h.address.padEnd(15)} init ${h.init ?? 'DOWN'}  ${Object.entries(
          h.units,
        )
          .map(([u, p]) => `${u.replace(/^redis-ha-|\.service$/g, '')}:${p ?? 'down'}`)
          .join(' ')}`,
    ),
  ].join('\n');
  return { text, json: { up: true, id: lab.id, client: lab.client, hosts, vipHolders: holders } };
}

/** Hidden: the init of one lab host (see LabInit). */
export async function labInitCommand(o: { root: string; ssh?: string }): Promise<CommandResult> {
  const init = new LabInit(o.root, o.ssh);
  await init.start();
  await new Promise<void>((resolve) =>
    onShutdown(async () => {
      await init.stop();
      resolve();
    }),
  );
  return {};
}
