import type { Redis } from 'ioredis';
import { parseInfo, parseReplicaAcks } from './info.js';

/** A write that reaches every replica of `primary` and touches no key. */
export type StreamProbe = (primary: Redis, tag: string) => Promise<unknown>;

/** PUBLISH is propagated to replicas outside cluster mode. */
export const publishProbe: StreamProbe = (primary, tag) =>
  primary.publish('__redis-ha__:sync-check', tag);

/**
 * In cluster mode PUBLISH travels the cluster bus instead of the replication stream (pubsub.c), so
 * it moves no offset. A function library loaded and deleted in one transaction is replicated
 * (MULTI ... EXEC), touches no key and no slot, and is never visible to another client.
 */
export const clusterProbe: StreamProbe = async (primary) => {
  const lib = '__redis_ha_sync_check';
  const code = `#!lua name=${lib}\nredis.register_function('${lib}', function() return 1 end)`;
  await primary
    .multi()
    .call('FUNCTION', 'LOAD', 'REPLACE', code)
    .call('FUNCTION', 'DELETE', lib)
    .exec();
};

/**
 * After a diskless sync the primary marks a replica online but holds its command stream until the
 * replica's first REPLCONF ACK (up to 1 s later). Meanwhile the replica says master_link_status:up
 * and its offset matches, yet every new write exists on the primary only. A replica counts as in
 * sync only once the primary has an ACK from it covering a write made after its sync: a `probe`
 * write (PUBLISH; `clusterProbe` in cluster mode) and WAIT, which asks replicas for an ACK.
 */
export async function confirmStreaming(
  primary: Redis,
  replica: { host: string; port: number },
  waitMs = 1500,
  probe: StreamProbe = publishProbe,
): Promise<boolean> {
  await probe(primary, `${replica.host}:${replica.port}`);
  const target = Number(parseInfo(await primary.info('replication')).master_repl_offset ?? 0);
  await primary.call('WAIT', '1', String(waitMs));
  const acks = parseReplicaAcks(parseInfo(await primary.info('replication')));
  const ack = acks.find(
    (a) => a.port === replica.port && (a.ip === replica.host || replica.host === 'localhost'),
  );
  return ack !== undefined && ack.state === 'online' && ack.offset >= target;
}
