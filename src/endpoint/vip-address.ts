import { execFile, spawn } from 'node:child_process';
import { RedisHaError } from '../errors/errors.js';

/** Runs a command; resolves with its stdout, rejects with its stderr. */
function run(cmd: string, args: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT')
          reject(
            new RedisHaError('DEPENDENCY_MISSING', `\`${cmd}\` is not installed`, {
              hint:
                cmd === 'arping'
                  ? 'install it: apt-get install -y iputils-arping'
                  : 'install it: apt-get install -y iproute2',
            }),
          );
        else reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || e.message}`));
      } else resolve(stdout);
    });
  });
}

/** Whether `ip -o -4 addr show` output lists the address (whatever its prefix). */
export function carries(ipAddrOutput: string, address: string): boolean {
  return ipAddrOutput.includes(` ${address}/`);
}

/**
 * The floating address on one interface of this host: `ip addr add/del` and a gratuitous ARP
 * so neighbours repoint their caches at once (they would otherwise keep the old host's MAC
 * until their entry goes stale). Needs CAP_NET_ADMIN (root).
 */
export class VipAddress {
  readonly address: string;
  readonly prefix: number;
  readonly iface: string;
  /** Announcements still scheduled stop once the address is released. */
  #holding = false;

  constructor(address: string, prefix: number, iface: string) {
    this.address = address;
    this.prefix = prefix;
    this.iface = iface;
  }

  get cidr(): string {
    return `${this.address}/${this.prefix}`;
  }

  /** Whether the interface carries the address now. */
  async held(): Promise<boolean> {
    const out = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', this.iface]);
    return carries(out, this.address);
  }

  async add(): Promise<void> {
    try {
      await run('ip', ['addr', 'add', this.cidr, 'dev', this.iface]);
    } catch (e) {
      if (!/File exists/.test(String(e))) throw e;
    }
    this.#holding = true;
    this.announce();
  }

  async remove(): Promise<void> {
    this.#holding = false;
    try {
      await run('ip', ['addr', 'del', this.cidr, 'dev', this.iface]);
    } catch (e) {
      if (!/Cannot assign|not found/i.test(String(e))) throw e;
    }
  }

  /**
   * Gratuitous ARP in both forms (Linux neighbours take the reply form within their locktime,
   * other stacks the request form): at once, 150 ms later in case a frame was lost, and again
   * after 1, 2 and 5 s, because a host that held the address until just now (one that was
   * frozen, say) may still answer a neighbour's ARP request in between (keepalived's
   * garp_master_delay). Not awaited: the address is usable already.
   */
  announce(delays: readonly number[] = [0, 150, 1000, 2000, 5000]): void {
    for (const delay of delays)
      for (const flag of ['-U', '-A']) {
        const timer = setTimeout(() => {
          if (!this.#holding) return;
          const p = spawn(
            'arping',
            ['-q', flag, '-c', '1', '-w', '1', '-I', this.iface, this.address],
            {
              stdio: 'ignore',
            },
          );
          p.on('error', () => undefined);
        }, delay);
        timer.unref();
      }
  }
}
