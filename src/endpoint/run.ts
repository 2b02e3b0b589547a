import type { HaEvent } from '../events/events.js';
import type { Secrets } from '../secrets/store.js';
import { SentinelWatcher } from '../sentinel/watcher.js';
import type { BoundTopology } from '../topology/model.js';
import { ProxyEndpoint } from './proxy.js';

export interface RunningEndpoint {
  proxy: ProxyEndpoint;
  watcher: SentinelWatcher;
  stop: () => Promise<void>;
}

/** Starts the watcher, then the proxy fed by it; both stop together. */
export async function startProxyEndpoint(
  t: BoundTopology,
  secrets: Secrets,
  onEvent: (e: HaEvent) => void,
): Promise<RunningEndpoint> {
  const watcher = new SentinelWatcher({ topology: t, secrets });
  watcher.on('event', onEvent);
  await watcher.start();
  const proxy = new ProxyEndpoint({
    host: t.endpoint.listen.host,
    port: t.endpoint.listen.port,
    source: watcher,
    waitMs: t.endpoint.waitTimeoutMs,
    multiplex: t.endpoint.multiplex,
    password: secrets.redisPassword,
  });
  proxy.on('event', onEvent);
  try {
    await proxy.start();
  } catch (e) {
    watcher.stop();
    throw e;
  }
  return {
    proxy,
    watcher,
    stop: async () => {
      await proxy.stop();
      watcher.stop();
    },
  };
}
