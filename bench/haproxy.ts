import type { BenchCluster } from './lib.js';

/** HAProxy 2.6's canonical Redis primary check (AUTH, PING, info replication, role:master). */
export function haproxyConfig(c: BenchCluster, listen: number): string {
  const pw = c.password();
  const servers = c.ports.map(
    (p, i) =>
      `  server redis0${i + 1} 127.0.0.1:${p} check inter 1s fall 1 rise 1 on-marked-down shutdown-sessions`,
  );
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend redis',
    `  bind 127.0.0.1:${listen}`,
    '  default_backend primary',
    'backend primary',
    '  option tcp-check',
    '  tcp-check connect',
    `  tcp-check send AUTH\\ ${pw}\\r\\n`,
    '  tcp-check expect string +OK',
    '  tcp-check send PING\\r\\n',
    '  tcp-check expect string +PONG',
    '  tcp-check send info\\ replication\\r\\n',
    '  tcp-check expect string role:master',
    '  tcp-check send QUIT\\r\\n',
    '  tcp-check expect string +OK',
    ...servers,
    '',
  ].join('\n');
}
