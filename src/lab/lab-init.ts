import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { writeJsonAtomic } from '../state/state-dir.js';
import { HOST_PATHS, HOST_PRIVATE_DIRS, LAB_MARKER } from '../render/bundle/paths.js';

/** What `systemctl` in a lab host can ask its init. */
export interface InitRequest {
  cmd:
    | 'daemon-reload'
    | 'enable'
    | 'disable'
    | 'is-enabled'
    | 'is-active'
    | 'start'
    | 'stop'
    | 'restart';
  unit?: string | undefined;
}
export interface InitReply {
  ok: boolean;
  message?: string | undefined;
}

interface Service {
  unit: string;
  argv: string[];
  restart: 'always' | 'on-failure' | 'no';
  restartSec: number;
  child?: ChildProcess | undefined;
  stopping: boolean;
  timer?: NodeJS.Timeout | undefined;
}

/** The parts of a unit file the lab honours (ExecStart, Restart, RestartSec); User= is not. */
export function parseUnit(text: string): Pick<Service, 'argv' | 'restart' | 'restartSec'> {
  const get = (k: string): string | undefined =>
    text
      .split('\n')
      .find((l) => l.startsWith(`${k}=`))
      ?.slice(k.length + 1)
      .trim();
  const exec = get('ExecStart') ?? '';
  const restart = get('Restart');
  return {
    argv: exec.split(/\s+/).filter(Boolean),
    restart: restart === 'always' || restart === 'on-failure' ? restart : 'no',
    restartSec: parseFloat(get('RestartSec') ?? '1') || 1,
  };
}

export const initSocket = (root: string): string => path.join(root, 'init.sock');
export const unitsFile = (root: string): string => path.join(root, 'units.json');
/** The host's `systemctl` (see writeShim), bind-mounted over the real one. */
export const shimFile = (root: string): string => path.join(root, 'systemctl');

/**
 * The init of one lab host, run inside the host's network namespace and a mount namespace of
 * its own: it bind-mounts the host's private directories (so the host sees its own
 * /etc/redis-ha, /var/lib/redis-ha, units ...) and a `systemctl` that talks to it, then runs the
 * units the install script enables, restarting them per Restart=. What systemd is on a server.
 * Processes run as root here (User= ignored: the lab's hosts share one user database).
 */
export class LabInit {
  readonly #root: string;
  #services = new Map<string, Service>();
  #enabled = new Set<string>();
  #server: net.Server | undefined;

  readonly #sshAddress: string | undefined;
  #sshd: ChildProcess | undefined;

  /** `sshAddress`: run an sshd there (deploy's way in), keys in ROOT/ssh. */
  constructor(root: string, sshAddress?: string) {
    this.#root = root;
    this.#sshAddress = sshAddress;
  }

  async start(): Promise<void> {
    for (const d of HOST_PRIVATE_DIRS) {
      const mine = path.join(this.#root, 'fs', d);
      mkdirSync(mine, { recursive: true });
      mount(mine, d);
    }
    mount(shimFile(this.#root), '/usr/bin/systemctl');
    if (existsSync('/bin/systemctl') && !isSameFile('/bin/systemctl', '/usr/bin/systemctl'))
      mount(shimFile(this.#root), '/bin/systemctl');
    writeFileSync(LAB_MARKER, 'this host is a redis-ha lab host\n');
    mkdirSync(path.join(this.#root, 'logs'), { recursive: true });
    if (this.#sshAddress) this.#startSshd(this.#sshAddress);
    rmSync(initSocket(this.#root), { force: true });
    this.#server = net.createServer((s) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        if (!buf.includes('\n')) return;
        void this.#handle(JSON.parse(buf.split('\n')[0] ?? '{}') as InitRequest)
          .catch((e: unknown) => ({ ok: false, message: String(e) }))
          .then((r) => s.end(JSON.stringify(r) + '\n'));
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.#server!.listen(initSocket(this.#root), r));
    this.#save();
  }

  /** The host's own sshd, in its namespaces: a deploy session sees what the host's units see. */
  #startSshd(address: string): void {
    const dir = path.join(this.#root, 'ssh');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = path.join(dir, 'ssh_host_ed25519_key');
    ensureSshKey(key, `redis-ha lab ${address}`);
    const cfg = path.join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `ListenAddress ${address}`,
        `HostKey ${key}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
    );
    const log = openSync(path.join(this.#root, 'logs', 'sshd.log'), 'a');
    this.#sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.#sshd.on('error', () => undefined);
  }

  /** Stops every unit, newest first, then closes the socket. */
  async stop(): Promise<void> {
    this.#sshd?.kill('SIGTERM');
    this.#server?.close();
    for (const unit of [...this.#services.keys()].reverse()) await this.#stopUnit(unit);
    rmSync(initSocket(this.#root), { force: true });
  }

  async #handle(r: InitRequest): Promise<InitReply> {
    const unit = r.unit ?? '';
    switch (r.cmd) {
      case 'daemon-reload':
        return { ok: true };
      case 'enable':
        this.#enabled.add(unit);
        return { ok: true };
      case 'disable':
        this.#enabled.delete(unit);
        return { ok: true };
      case 'is-enabled':
        return { ok: this.#enabled.has(unit) };
      case 'is-active':
        return { ok: this.#services.get(unit)?.child !== undefined };
      case 'start':
        return this.#startUnit(unit);
      case 'stop':
        await this.#stopUnit(unit);
        return { ok: true };
      case 'restart':
        await this.#stopUnit(unit);
        return this.#startUnit(unit);
    }
  }

  #startUnit(unit: string): InitReply {
    const file = path.join(HOST_PATHS.units, unit);
    if (!existsSync(file)) return { ok: false, message: `Unit ${unit} not found.` };
    const existing = this.#services.get(unit);
    if (existing?.child) return { ok: true };
    const svc: Service = { unit, ...parseUnit(readFileSync(file, 'utf8')), stopping: false };
    if (svc.argv[0]?.includes('/sh') || svc.argv.length === 0)
      return { ok: false, message: `${unit}: not run in the lab` };
    this.#services.set(unit, svc);
    this.#spawn(svc);
    return { ok: true };
  }

  #spawn(svc: Service): void {
    const log = openSync(path.join(this.#root, 'logs', `${svc.unit}.log`), 'a');
    const [cmd, ...args] = svc.argv;
    const child = spawn(cmd ?? '/bin/false', args, { stdio: ['ignore', log, log] });
    closeSync(log); // the child has its own copy; a restart opens it again
    svc.child = child;
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      svc.child = undefined;
      this.#save();
      const failed = code !== 0 || signal !== null;
      if (svc.stopping || svc.restart === 'no' || (svc.restart === 'on-failure' && !failed)) return;
      svc.timer = setTimeout(() => {
        if (!svc.stopping && !svc.child) this.#spawn(svc);
      }, svc.restartSec * 1000);
    });
    this.#save();
  }

  async #stopUnit(unit: string): Promise<void> {
    const svc = this.#services.get(unit);
    if (!svc) return;
    svc.stopping = true;
    clearTimeout(svc.timer);
    const child = svc.child;
    if (child?.pid) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    this.#services.delete(unit);
    this.#save();
  }

  /** Every unit's PID, for `lab status` and the drills (kill, freeze). */
  #save(): void {
    const units: Record<string, number | null> = {};
    for (const [u, s] of this.#services) units[u] = s.child?.pid ?? null;
    writeJsonAtomic(unitsFile(this.#root), { init: process.pid, units }, 0o600);
  }
}

function mount(src: string, target: string): void {
  if (!existsSync(target)) throw new Error(`lab: mount point ${target} does not exist`);
  const r = spawnSync('mount', ['--bind', src, target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lab: mount --bind ${src} ${target}: ${r.stderr.trim()}`);
}

function isSameFile(a: string, b: string): boolean {
  return spawnSync('test', [a, '-ef', b]).status === 0;
}

/**
 * `systemctl` inside a lab host: one request per unit to the host's init. Perl (perl-base is in
 * every Debian) rather than Node: the agent restarts a node through it, and a Node start would
 * add ~100 ms to every rejoin.
 */
export function writeShim(root: string): void {
  const script = String.raw`#!/usr/bin/perl
# systemctl of a redis-ha lab host: its init (redis-ha lab init) runs the units.
use strict;
use IO::Socket::UNIX;
my $sock = '${initSocket(root)}';
my @args = grep { !/^-/ } @ARGV;
my $now = grep { $_ eq '--now' } @ARGV;
my $cmd = shift(@args) // '';
my %known = map { $_ => 1 } qw(daemon-reload enable disable is-enabled is-active start stop restart);
unless ($known{$cmd}) { print STDERR "lab systemctl: '$cmd' is not supported in the lab\n"; exit 1; }
sub ask {
  my ($c, $u) = @_;
  my $s = IO::Socket::UNIX->new(Peer => $sock) or die "lab systemctl: $sock: $!\n";
  print $s '{"cmd":"' . $c . '"' . (defined $u ? ',"unit":"' . $u . '"' : '') . "}\n";
  my $r = do { local $/; <$s> } // '';
  print STDERR "$1\n" if $r =~ /"message":"([^"]*)"/;
  return $r =~ /"ok":true/ ? 1 : 0;
}
my $ok = 1;
for my $u ($cmd eq 'daemon-reload' ? (undef) : @args) {
  $ok &&= ask($cmd, $u);
  $ok &&= ask($cmd eq 'enable' ? 'start' : 'stop', $u) if $now && ($cmd eq 'enable' || $cmd eq 'disable');
}
exit($ok ? 0 : ($cmd =~ /^is-/ ? 3 : 1));
`;
  writeFileSync(shimFile(root), script, { mode: 0o755 });
}

/** An ed25519 key pair without passphrase at `file` (and `file`.pub), made once. */
export function ensureSshKey(file: string, comment: string): void {
  if (existsSync(file)) return;
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  if (r.status !== 0)
    throw new Error(`ssh-keygen failed for ${file} (is openssh-client installed?)`);
}
