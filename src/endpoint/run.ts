import { credentials } from '../secrets/credentials.js';
import type { HaEvent } from '../events/events.js';
import type { Secrets } from '../secrets/store.js';
import { SentinelWatcher } from '../sentinel/watcher.js';
import type { BoundTopology } from '../topology/model.js';
import { ProxyEndpoint, type PrimarySource } from './proxy.js';

export interface RunningEndpoint {
  proxy: ProxyEndpoint;
  /** The read endpoint, when `endpoint.readListen` is set. */
  read?: ProxyEndpoint | undefined;
  watcher: SentinelWatcher;
  stop: () => Promise<void>;
}

/** Starts the watcher, then the endpoint (and the read endpoint) fed by it; all stop together. */
export async function startProxyEndpoint(
  t: BoundTopology,
  secrets: Secrets,
  onEvent: (e: HaEvent) => void,
): Promise<RunningEndpoint> {
  const watcher = new SentinelWatcher({ topology: t, secrets });
  watcher.on('event', onEvent);
  await watcher.start();
  const listeners = [{ at: t.endpoint.listen, source: watcher as PrimarySource, role: 'primary' }];
  if (t.endpoint.readListen)
    listeners.push({ at: t.endpoint.readListen, source: watcher.readSource(), role: 'read' });
  const proxies: ProxyEndpoint[] = [];
  try {
    for (const l of listeners) {
      const p = new ProxyEndpoint({
        host: l.at.host,
        port: l.at.port,
        source: l.source,
        waitMs: t.endpoint.waitTimeoutMs,
        // TLS passes through untouched: nothing to multiplex, the client talks TLS to the primary.
        multiplex: t.endpoint.multiplex && !t.tls.enabled,
        auth: () => credentials(t, secrets, 'app'),
        name: l.role === 'read' ? 'read endpoint' : 'endpoint',
      });
      p.on('event', onEvent);
      proxies.push(p);
      await p.start();
    }
  } catch (e) {
    for (const p of proxies) await p.stop();
    watcher.stop();
    throw e;
  }
  return {
    proxy: proxies[0]!,
    read: proxies[1],
    watcher,
    stop: async () => {
      for (const p of proxies) await p.stop();
      watcher.stop();
    },
  };
}
