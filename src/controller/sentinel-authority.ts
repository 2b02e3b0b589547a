import { redisErrorText } from '../redis/client.js';
import { pairsToRecord } from '../redis/info.js';
import { majorityNeeded } from '../topology/majority.js';
import type { BoundTopology } from '../topology/model.js';
import type { Links } from '../view/links.js';
import type { Authority, FailoverRequest } from './authority.js';

/**
 * SENTINEL FAILOVER on the first sentinel that answers, over the view's connections. Sentinel
 * refuses a second one while a failover runs (INPROG) and picks only a promotable replica
 * (priority > 0, so a synced one) or answers NOGOODSLAVE.
 */
export class SentinelAuthority implements Authority {
  readonly name = 'Sentinel';
  readonly #links: Links;

  constructor(links: Links) {
    this.#links = links;
    // SENTINEL DEBUG periods are not config directives: a (re)started sentinel needs them again.
    links.onSentinelReady((name) => void this.tune(name).catch(() => undefined));
  }

  async failover(): Promise<FailoverRequest> {
    const t = this.#links.topology;
    let last = 'no sentinel reachable';
    let noGood: string | undefined;
    // The first sentinel to connect: a cut-off one first in the list neither delays the
    // request nor receives it late (a reset connection, see `abort`).
    const r = await this.#links.firstAnswering(
      t.sentinels,
      async (c, s): Promise<FailoverRequest | undefined> => {
        try {
          await c.call('SENTINEL', 'FAILOVER', t.masterName);
          return { started: true, by: s.name, text: 'OK', inProgress: false };
        } catch (e) {
          last = `${s.name}: ${redisErrorText(e)}`;
          if (/INPROG/.test(last))
            return { started: false, by: s.name, text: last, inProgress: true };
          // One sentinel's cached INFO may still show a just-synced replica at priority 0.
          if (/NOGOODSLAVE/.test(last)) noGood ??= last;
          throw e;
        }
      },
      500,
    );
    return r ?? { started: false, text: noGood ?? last, inProgress: false };
  }

  /**
   * A majority of all sentinels name `node` as the master and have had no valid PING reply from
   * it for `silentMs` (`last-ok-ping-reply`). Their SDOWN comes later: it counts from their
   * first unanswered PING, sent up to one ping period (1 s) after the node went silent, and
   * their ODOWN waits for the next ask round (1 s more). A minority side (a cut-off host) never
   * reaches a majority.
   */
  async confirmsSilence(node: string, silentMs: number): Promise<boolean> {
    const t = this.#links.topology;
    const n = t.nodes.find((x) => x.name === node);
    if (!n) return false;
    const silent = await Promise.all(
      t.sentinels.map(async (s) => {
        try {
          const m = pairsToRecord(
            await this.#links.get(s).call('SENTINEL', 'MASTER', t.masterName),
          );
          return (
            m.ip === n.host &&
            Number(m.port) === n.port &&
            Number(m['last-ok-ping-reply']) >= silentMs
          );
        } catch {
          return false;
        }
      }),
    );
    return silent.filter(Boolean).length >= majorityNeeded(t.sentinels.length);
  }

  /** Applies the topology's SENTINEL DEBUG periods (Redis 6.2 has none: the caller reports). */
  async tune(name: string): Promise<void> {
    const t: BoundTopology = this.#links.topology;
    const s = t.sentinels.find((x) => x.name === name);
    const p = t.sentinel.debugPeriods;
    const args = [
      ...(p.ping === undefined ? [] : ['ping-period', String(p.ping)]),
      ...(p.ask === undefined ? [] : ['ask-period', String(p.ask)]),
      ...(p.info === undefined ? [] : ['info-period', String(p.info)]),
    ];
    if (!s || args.length === 0) return;
    await this.#links.get(s).call('SENTINEL', 'DEBUG', ...args);
  }
}
