import { spawn } from 'node:child_process';
import path from 'node:path';
import { RedisHaError } from '../errors/errors.js';
import { fixedSecrets } from '../state/live-secrets.js';
import { ClusterView } from '../view/view.js';
import { waitHealthy } from '../view/wait-healthy.js';
import type { Secrets } from '../state/secrets.js';
import { manifest } from '../render/bundle/write-bundles.js';
import type { HostBundle } from '../render/bundle/host-bundle.js';
import { hostOf, type BoundTopology, type NodeSpec } from '../topology/model.js';

/** Where a bundle is unpacked on a host before its install script runs. */
export const REMOTE_DIR = '/var/tmp/redis-ha-bundle';
/** What runs on each host, over ssh: unpack the bundle from stdin, then install it. */
const UNPACK = `rm -rf ${REMOTE_DIR} && mkdir -m 700 ${REMOTE_DIR} && tar -xf - -C ${REMOTE_DIR}`;
const INSTALL = `sh ${REMOTE_DIR}/install.sh`;
const tarArgs = (local: string, host: string): string[] => [
  '-C',
  path.join(local, host),
  '-cf',
  '-',
  '.',
];

export interface SshOptions {
  /** Private key (`-i`); default: ssh's own. */
  identity?: string | undefined;
  knownHosts?: string | undefined;
}

export interface HostPlan {
  host: string;
  target: string;
  files: { path: string; mode: string; policy: string }[];
  commands: string[];
}

export interface HostOutcome {
  host: string;
  status: 'installed' | 'unchanged' | 'failed' | 'skipped';
  output: string[];
}

/** The system ssh, key-based and never interactive. */
export function sshArgs(target: string, o: SshOptions): string[] {
  const [userHost, port] = splitPort(target);
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    ...(o.identity ? ['-i', o.identity, '-o', 'IdentitiesOnly=yes'] : []),
    ...(o.knownHosts
      ? ['-o', `UserKnownHostsFile=${o.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new']
      : []),
    ...(port ? ['-p', port] : []),
    userHost,
  ];
}

function splitPort(target: string): [string, string | undefined] {
  const m = /^(.*@)?([^:@]+):(\d+)$/.exec(target);
  return m ? [`${m[1] ?? ''}${m[2]}`, m[3]] : [target, undefined];
}

/** Primary's host first, then the other data hosts, then the rest: replicas find it up. */
export function deployOrder(
  t: BoundTopology,
  primary: NodeSpec<number>,
  bundles: HostBundle[],
): HostBundle[] {
  const first = hostOf(t, primary).name;
  const rank = (b: HostBundle): number => (b.host.name === first ? 0 : b.nodes.length > 0 ? 1 : 2);
  return [...bundles].sort((a, b) => rank(a) - rank(b));
}

export function plan(bundles: HostBundle[], local: string, o: SshOptions): HostPlan[] {
  return bundles.map((b) => {
    const ssh = `ssh ${sshArgs(b.host.ssh, o).join(' ')}`;
    return {
      host: b.host.name,
      target: b.host.ssh,
      files: manifest(b).files as HostPlan['files'],
      commands: [
        `tar ${tarArgs(local, b.host.name).join(' ')} | ${ssh} '${UNPACK}'`,
        `${ssh} ${INSTALL}`,
      ],
    };
  });
}

function sh(
  cmd: string,
  args: string[],
  stdin?: { cmd: string; args: string[] },
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let src: ReturnType<typeof spawn> | undefined;
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    if (stdin && child.stdin) {
      const feed = spawn(stdin.cmd, stdin.args, { stdio: ['ignore', 'pipe', 'ignore'] });
      src = feed;
      // ssh that fails to connect closes its stdin: the pipe breaks (EPIPE), which is its error.
      child.stdin.on('error', () => undefined);
      feed.stdout?.on('error', () => undefined);
      feed.stdout?.pipe(child.stdin);
      feed.on('error', () => child.stdin?.end());
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, out: String(e) });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // A feeder blocked on a pipe nobody reads any more would keep this process alive.
      if (src && src.exitCode === null) src.kill('SIGKILL');
      resolve({ code: code ?? 1, out });
    });
  });
}

/**
 * Pushes and installs each host's bundle in a safe order; the first host that fails stops the
 * rollout (the others are reported as skipped). Then waits until the topology is healthy as
 * `up` defines it, from here.
 */
export async function runDeploy(
  t: BoundTopology,
  secrets: Secrets,
  bundles: HostBundle[],
  local: string,
  o: SshOptions,
  progress: (l: string) => void,
): Promise<HostOutcome[]> {
  const outcomes: HostOutcome[] = [];
  let failed = false;
  for (const b of bundles) {
    if (failed) {
      outcomes.push({ host: b.host.name, status: 'skipped', output: [] });
      continue;
    }
    progress(`${b.host.name} (${b.host.ssh}): pushing ${b.files.length} files ...`);
    const args = sshArgs(b.host.ssh, o);
    const push = await sh('ssh', [...args, UNPACK], {
      cmd: 'tar',
      args: tarArgs(local, b.host.name),
    });
    const install = push.code === 0 ? await sh('ssh', [...args, INSTALL]) : push;
    const output = install.out.split('\n').filter(Boolean);
    for (const l of output) progress(`  ${l}`);
    if (install.code !== 0) {
      failed = true;
      outcomes.push({ host: b.host.name, status: 'failed', output });
      continue;
    }
    outcomes.push({
      host: b.host.name,
      status: output.some((l) => /: no changes$/.test(l)) ? 'unchanged' : 'installed',
      output,
    });
  }
  if (failed) {
    const bad = outcomes.find((x) => x.status === 'failed');
    throw new RedisHaError(
      'DEPLOY_FAILED',
      `deploy stopped at ${bad?.host}: ${bad?.output.at(-1) ?? 'failed'}`,
      {
        hint: `hosts: ${outcomes.map((x) => `${x.host} ${x.status}`).join(', ')}; fix it and run deploy again (it is idempotent)`,
        details: { outcomes },
      },
    );
  }
  const view = new ClusterView({ topology: t, secrets: fixedSecrets(secrets), lookMs: 0 });
  try {
    // Applications may write meanwhile: replica offsets are compared with a tolerance.
    await waitHealthy(view, 120_000, progress, { strictOffsets: false });
  } finally {
    view.stop();
  }
  return outcomes;
}
