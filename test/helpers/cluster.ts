import { spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { writeSeedTopology, type WrittenTopology } from './topology.js';

export const CLI = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../src/cli/main.js',
);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process; bounded. */
export function cli(args: string[], cwd: string, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(
        new Error(
          `redis-ha ${args.join(' ')} timed out after ${timeoutMs}ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Every process whose working directory is inside dir (Redis chdirs to its `dir`). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + path.sep)) out.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

export interface TestCluster {
  dir: string;
  file: string;
  ports: WrittenTopology['ports'];
  /** The shared password (`auth.mode: password`); with ACL users, the default user's (off). */
  password: () => string;
  /** A role's credentials as the cluster's auth mode has them (ACL users by default). */
  auth: (who?: Who) => { username?: string; password: string };
  pidOf: (member: string) => number;
  /** A client as `who` (admin by default; app for the endpoint, as applications connect). */
  client: (port: number, who?: Who) => Redis;
  status: () => Promise<StatusJson>;
  run: (args: string[]) => Promise<CliResult>;
  closeClients: () => void;
  /** Dump views and logs (called on failure). */
  dump: () => Promise<string>;
  /** GET the exporter's /metrics as the monitor user (HTTP Basic), as Prometheus does. */
  metrics: () => Promise<string>;
}

/** The Authorization header of a scrape as `auth`. */
export function basicAuth(auth: { username?: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.username ?? 'monitor'}:${auth.password}`).toString('base64')}`;
}

export interface StatusJson {
  healthy: boolean;
  primary: string | null;
  nodes: {
    name: string;
    role: string | null;
    following: string | null;
    link: string | null;
    keys: number | null;
  }[];
  sentinels: { name: string; names: string | null }[];
  failovers: { from: string; to: string }[];
  problems: string[];
}

export type Who = 'admin' | 'app' | 'replication' | 'sentinel' | 'monitor';

export interface ClusterOptions {
  persistence?: string;
  extra?: string;
}

interface SecretsJson {
  redisPassword: string;
  users: Record<Who, string>;
}

export async function makeCluster(name: string, o: ClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), `redis-ha-${name}-`));
  const { file, ports } = await writeSeedTopology(dir, {
    sentinelNames: ['s1', 's2', 's3'],
    lines: [
      'quorum: 2',
      `persistence: ${o.persistence ?? '{ mode: rdb }'}`,
      'sentinel: { downAfter: 1500ms, failoverTimeout: 5s }',
      'supervisor: { stopTimeout: 5s }',
      o.extra ?? '',
    ],
  });
  const run = (args: string[]): Promise<CliResult> => cli([...args, '-f', file], dir);
  const secrets = (): SecretsJson =>
    JSON.parse(readFileSync(path.join(dir, '.redis-ha/secrets.json'), 'utf8')) as SecretsJson;
  const clients: Redis[] = [];
  const c: TestCluster = {
    closeClients: () => clients.splice(0).forEach((r) => r.disconnect()),
    dir,
    file,
    ports,
    run,
    password: () => secrets().redisPassword,
    auth: (who = 'admin') =>
      /auth:\s*\{\s*mode:\s*password/.test(o.extra ?? '')
        ? { password: secrets().redisPassword }
        : { username: who, password: secrets().users[who] },
    pidOf: (member) =>
      Number(readFileSync(path.join(dir, '.redis-ha/run', `${member}.pid`), 'utf8').trim()),
    client: (port, who = 'admin') => {
      const r = new Redis({
        host: '127.0.0.1',
        port,
        ...c.auth(who),
        enableReadyCheck: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (n) => (n > 20 ? null : 100),
      });
      r.on('error', () => undefined);
      clients.push(r);
      return r;
    },
    status: async () => JSON.parse((await run(['status', '--json'])).stdout) as StatusJson,
    metrics: async () => {
      const r = await fetch(`http://127.0.0.1:${ports.exporter}/metrics`, {
        headers: { authorization: basicAuth(c.auth('monitor')) },
        signal: AbortSignal.timeout(10_000),
      });
      if (r.status !== 200) throw new Error(`/metrics: HTTP ${r.status}`);
      return r.text();
    },
    dump: async () => {
      const parts = [(await run(['status'])).stdout, (await run(['logs', '-n', '80'])).stdout];
      for (const m of ['redis01', 'redis02', 's1', 's2', 's3'])
        parts.push(`--- ${m}\n${(await run(['logs', m, '-n', '25'])).stdout}`);
      const sup = path.join(dir, '.redis-ha/supervisor.log');
      if (existsSync(sup))
        parts.push(
          `--- supervisor.log\n${readFileSync(sup, 'utf8').split('\n').slice(-40).join('\n')}`,
        );
      return parts.join('\n');
    },
  };
  return c;
}

/** Bounded poll of `status --json` until pred holds. */
export async function waitStatus(
  c: TestCluster,
  pred: (s: StatusJson) => boolean,
  timeoutMs: number,
  what: string,
): Promise<StatusJson> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusJson | undefined;
  while (Date.now() < deadline) {
    last = await c.status();
    if (pred(last)) return last;
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs}ms waiting for ${what}; last status: ${JSON.stringify(last)}`,
  );
}

/**
 * Runs a scenario on a fresh cluster: on failure dumps sentinel views and logs; always brings it
 * down with `redis-ha down` and checks that no process is left in its directory.
 */
export async function withCluster(
  name: string,
  o: ClusterOptions,
  fn: (c: TestCluster) => Promise<void>,
): Promise<void> {
  const c = await makeCluster(name, o);
  let failure: unknown;
  try {
    await fn(c);
  } catch (e) {
    failure = e;
    process.stderr.write(
      `\n=== ${name} failed; cluster state:\n${await c.dump().catch((d: unknown) => String(d))}\n`,
    );
  } finally {
    c.closeClients();
    const down = await c.run(['down']);
    const keep = process.env.REDIS_HA_TEST_KEEP;
    if (keep)
      cpSync(path.join(c.dir, '.redis-ha'), path.join(keep, `${name}-${Date.now()}`), {
        recursive: true,
      });
    const left = processesUnder(c.dir);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const leaked = checkSecrets(c.dir);
    rmSync(c.dir, { recursive: true, force: true });
    if (!failure && leaked.length > 0)
      failure = new Error(`a secret was written to ${leaked.join(', ')}`);
    if (!failure && down.code !== 0) failure = new Error(`down failed: ${down.stderr}`);
    if (!failure && left.length > 0)
      failure = new Error(`processes left after down: ${left.join(', ')}`);
  }
  if (failure instanceof Error) throw failure;
  if (failure !== undefined) throw new Error(`scenario failed: ${JSON.stringify(failure)}`);
}

/**
 * Every secret of the cluster: recorded for the runner's scan of all the suite printed
 * (REDIS_HA_SECRETS_SEEN), and looked for in the logs and events it wrote. Returns where found.
 */
function checkSecrets(dir: string): string[] {
  return secretLeaks(path.join(dir, '.redis-ha'));
}

/** The same for any state dir (the lab's: its hosts' own logs are under it too). */
export function secretLeaks(state: string): string[] {
  const file = path.join(state, 'secrets.json');
  if (!existsSync(file)) return [];
  const values = (v: unknown): string[] =>
    typeof v === 'string'
      ? [v]
      : v && typeof v === 'object'
        ? Object.values(v).flatMap(values)
        : [];
  const secrets = values(JSON.parse(readFileSync(file, 'utf8')));
  const seen = process.env.REDIS_HA_SECRETS_SEEN;
  if (seen) appendFileSync(seen, secrets.join('\n') + '\n');
  const logs = readdirSync(state, { recursive: true })
    .map(String)
    .filter((f) => /(\.log|\.jsonl)$/.test(f));
  return logs.filter((f) => {
    const text = readFileSync(path.join(state, f), 'utf8');
    return secrets.some((s) => text.includes(s));
  });
}

export async function writeKeys(r: Redis, n: number, prefix = 'k'): Promise<void> {
  for (let start = 0; start < n; start += 1000) {
    const p = r.pipeline();
    for (let i = start; i < Math.min(n, start + 1000); i++) p.set(`${prefix}${i}`, `v${i}`);
    const res = await p.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }
}

/** All n keys present with their values. */
export async function countGood(r: Redis, n: number, prefix = 'k'): Promise<number> {
  let good = 0;
  for (let start = 0; start < n; start += 1000) {
    const keys = Array.from(
      { length: Math.min(1000, n - start) },
      (_, i) => `${prefix}${start + i}`,
    );
    const vals = await r.mget(keys);
    vals.forEach((v, i) => v === `v${start + i}` && good++);
  }
  return good;
}

/** Every TCP port the processes listen on (/proc: their socket inodes in LISTEN state). */
export function listeningPorts(pids: readonly number[]): number[] {
  const listening = new Map<string, number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, inode is column 10.
      if (cols[3] !== '0A' || !cols[1] || !cols[9]) continue;
      listening.set(cols[9], parseInt(cols[1].split(':')[1] ?? '0', 16));
    }
  }
  const ports = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        const port = m && listening.get(m[1]!);
        if (port) ports.add(port);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * One kill drill through the endpoint (nothing acknowledged may be lost), then the wait until
 * redis02 is the primary and redis01 has rejoined as its replica.
 */
export async function killDrillAndRejoin(c: TestCluster, what: string): Promise<void> {
  const drill = await c.run(['drill', '--fault', 'kill', '--runs', '1', '--json']);
  if (drill.code !== 0) throw new Error(`drill failed: ${drill.stderr}${drill.stdout}`);
  const lost = (JSON.parse(drill.stdout) as { summary: { lost: number } }).summary.lost;
  if (lost !== 0) throw new Error(`the kill drill lost ${lost} acknowledged writes`);
  await waitStatus(
    c,
    (s) =>
      s.healthy &&
      s.primary === 'redis02' &&
      s.nodes.some((n) => n.name === 'redis01' && n.role === 'replica'),
    30_000,
    `redis02 primary, redis01 back as its replica (${what})`,
  );
}
