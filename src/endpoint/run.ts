import type { HaEvent } from '../events/events.js';
import { credentials } from '../state/credentials.js';
import type { SecretsSource } from '../state/live-secrets.js';
import type { ClusterView } from '../view/view.js';
import { ProxyEndpoint, type PrimarySource } from './proxy.js';

export interface RunningEndpoint {
  proxy: ProxyEndpoint;
  /** The read endpoint, when `endpoint.readListen` is set. */
  read?: ProxyEndpoint | undefined;
  stop: () => Promise<void>;
}

/** Where the write endpoint routes: the view's confirmed primary. */
export function primarySource(view: ClusterView): PrimarySource {
  return {
    get primary() {
      return view.primary;
    },
    on: (_name, fn) => view.on('primary', fn),
    reconcile: () => view.reconcile(),
    onLeaving: (fn) => view.on('leaving', ({ node }) => fn(node)),
  };
}

/** Where the read endpoint routes: an in-sync replica, else the primary. */
export function readSource(view: ClusterView): PrimarySource {
  return {
    get primary() {
      return view.readNode;
    },
    on: (_name, fn) => view.on('read', fn),
    reconcile: () => view.reconcile(),
  };
}

/** Starts the endpoint (and the read endpoint) on the process's view; they stop together. */
export async function startProxyEndpoint(
  view: ClusterView,
  secrets: SecretsSource,
  onEvent: (e: HaEvent) => void,
): Promise<RunningEndpoint> {
  const t = view.topology;
  const listeners = [{ at: t.endpoint.listen, source: primarySource(view), role: 'primary' }];
  if (t.endpoint.readListen)
    listeners.push({ at: t.endpoint.readListen, source: readSource(view), role: 'read' });
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
        auth: () => credentials(t, secrets.current, 'app'),
        name: l.role === 'read' ? 'read endpoint' : 'endpoint',
      });
      p.on('event', onEvent);
      proxies.push(p);
      await p.start();
    }
  } catch (e) {
    for (const p of proxies) await p.stop();
    throw e;
  }
  return {
    proxy: proxies[0]!,
    read: proxies[1],
    stop: async () => {
      for (const p of proxies) await p.stop();
    },
  };
}
