/**
 * The endpoint alone in a process of its own, routed to one fixed node (argv: upstream port,
 * password): for tests that must push a process to its limits (file descriptors) without
 * touching the test runner's. Prints "port N" when listening, then one line per event.
 */
import { ProxyEndpoint } from '../../src/endpoint/proxy.js';
import { formatEvent } from '../../src/events/events.js';
import { keepAliveOnStrayRejections, onShutdown } from '../../src/util/signals.js';

const [upstreamPort, password] = process.argv.slice(2);
const node = {
  kind: 'node' as const,
  name: 'upstream',
  role: 'primary' as const,
  host: '127.0.0.1',
  bind: ['127.0.0.1'],
  port: Number(upstreamPort),
  priority: 100,
};
const p = new ProxyEndpoint({
  host: '127.0.0.1',
  port: 0,
  source: { primary: node, on: () => () => undefined },
  waitMs: 1000,
  multiplex: true,
  auth: password === undefined ? undefined : { password },
});
p.on('event', (e) => process.stdout.write(`${formatEvent(e)}\n`));
keepAliveOnStrayRejections((e) => process.stdout.write(`stray rejection: ${String(e)}\n`));
process.on('uncaughtException', (e) => {
  process.stdout.write(`CRASH ${e.stack ?? String(e)}\n`);
  process.exit(70);
});
await p.start();
process.stdout.write(`port ${p.address.port}\n`);
onShutdown(() => p.stop());
