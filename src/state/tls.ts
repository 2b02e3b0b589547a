import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { RedisHaError } from '../errors/errors.js';
import type { TlsMaterial } from '../redis/client.js';
import type { Topology } from '../topology/model.js';
import type { Secrets } from './secrets.js';

/** Where a server's certificate, key and trusted CA live (what redis.conf/sentinel.conf name). */
export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export function tlsDir(stateDir: string): string {
  return path.join(stateDir, 'tls');
}

/** A host name as a file name. */
function fileName(host: string): string {
  return host.replace(/[^a-zA-Z0-9.-]/g, '_');
}

export function caFile(t: Pick<Topology, 'tls' | 'stateDir'>): string {
  return t.tls.ca?.cert ?? path.join(tlsDir(t.stateDir), 'ca.crt');
}

export function hostTlsFiles(t: Pick<Topology, 'tls' | 'stateDir'>, host: string): TlsFiles {
  const base = path.join(tlsDir(t.stateDir), 'hosts', fileName(host));
  return { caFile: caFile(t), certFile: `${base}.crt`, keyFile: `${base}.key` };
}

export function clientTlsFiles(t: Pick<Topology, 'tls' | 'stateDir'>): TlsFiles {
  const base = path.join(tlsDir(t.stateDir), 'redis-ha');
  return { caFile: caFile(t), certFile: `${base}.crt`, keyFile: `${base}.key` };
}

const WILDCARD = new Set(['0.0.0.0', '::', '*']);

/**
 * The names a host's certificate covers: the host, loopback for local clients and checks, and,
 * on data hosts, where the endpoint listens (it passes TLS through: clients see the node's cert).
 */
export function subjectAltNames(t: Topology, host: string): string[] {
  const names = new Set([host, 'localhost', '127.0.0.1', '::1']);
  if (t.nodes.some((n) => n.host === host)) {
    for (const h of [t.endpoint.listen.host, t.endpoint.readListen?.host, t.endpoint.address])
      if (h && !WILDCARD.has(h)) names.add(h.replace(/\/\d+$/, ''));
  }
  return [...names].map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`));
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new RedisHaError('DEPENDENCY_MISSING', '`tls: true` needs the openssl command', {
        hint: 'install it: apt-get install -y openssl',
      });
    throw new RedisHaError(
      'TLS_FAILED',
      `openssl ${args[0]} failed: ${(err.stderr?.toString() ?? err.message).trim().split('\n')[0]}`,
      { hint: 'check the CA files named by `tls.ca`', cause: e },
    );
  }
}

/** A new EC P-256 key, unencrypted (0600 on disk): every key redis-ha issues. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Issues (or re-issues when its names or CA changed) one certificate signed by the CA. */
function issue(
  dir: string,
  f: TlsFiles,
  caKey: string,
  cn: string,
  sans: string[],
  caPem: string,
): void {
  const meta = `${f.certFile}.meta.json`;
  const want = JSON.stringify({ cn, sans, ca: sha(caPem) });
  if (existsSync(f.certFile) && existsSync(f.keyFile) && existsSync(meta))
    if (readFileSync(meta, 'utf8') === want) return;
  mkdirSync(path.dirname(f.certFile), { recursive: true, mode: 0o700 });
  const csr = `${f.certFile}.csr`;
  const ext = `${f.certFile}.ext`;
  writeFileSync(
    ext,
    [
      `subjectAltName=${sans.join(',')}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'basicConstraints=critical,CA:FALSE',
    ].join('\n') + '\n',
  );
  openssl(
    ['req', '-new', ...EC_KEY, '-keyout', f.keyFile, '-out', csr, '-subj', `/O=redis-ha/CN=${cn}`],
    dir,
  );
  chmodSync(f.keyFile, 0o600);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      f.caFile,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${randomBytes(12).toString('hex')}`,
      '-days',
      '825',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      f.certFile,
    ],
    dir,
  );
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  writeFileSync(meta, want);
}

/** A self-signed EC P-256 CA (key 0600). */
export function generateCa(certFile: string, keyFile: string, name: string, days: number): void {
  openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', certFile, '-days', String(days)].concat(
      ['-sha256', '-subj', `/O=redis-ha/CN=${name}`],
    ),
    path.dirname(certFile),
  );
  chmodSync(keyFile, 0o600);
}

/**
 * Makes sure the CA (generated unless `tls.ca` names one), every host's certificate and
 * redis-ha's client certificate exist and match the topology; keys are 0600. Idempotent.
 */
export function ensureTls(t: Topology): void {
  if (!t.tls.enabled) return;
  const dir = tlsDir(t.stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let caKey = t.tls.ca?.key;
  if (!caKey) {
    caKey = path.join(dir, 'ca.key');
    if (!existsSync(caFile(t)) || !existsSync(caKey))
      generateCa(caFile(t), caKey, `redis-ha CA (${t.masterName})`, 3650);
  } else if (!existsSync(caKey) || !existsSync(caFile(t))) {
    throw new RedisHaError('TLS_FAILED', `tls.ca: ${caFile(t)} or ${caKey} does not exist`, {
      hint: 'name an existing CA certificate and key, or remove `tls.ca` to generate one',
    });
  }
  const caPem = readFileSync(caFile(t), 'utf8');
  const hosts = new Set([...t.nodes, ...t.sentinels].map((m) => m.host));
  for (const h of hosts) issue(dir, hostTlsFiles(t, h), caKey, h, subjectAltNames(t, h), caPem);
  issue(dir, clientTlsFiles(t), caKey, 'redis-ha', ['DNS:redis-ha'], caPem);
}

/** redis-ha's own client material, or undefined when TLS is off or not issued yet. */
export function loadTlsMaterial(t: Topology): TlsMaterial | undefined {
  if (!t.tls.enabled) return undefined;
  const f = clientTlsFiles(t);
  if (![f.caFile, f.certFile, f.keyFile].every((p) => existsSync(p))) return undefined;
  return {
    ca: readFileSync(f.caFile, 'utf8'),
    cert: readFileSync(f.certFile, 'utf8'),
    key: readFileSync(f.keyFile, 'utf8'),
  };
}

/** The secrets with redis-ha's TLS client material attached (when the topology has TLS). */
export function withTls(secrets: Secrets, t: Topology): Secrets {
  return t.tls.enabled ? { ...secrets, tls: loadTlsMaterial(t) } : secrets;
}
