import type { Redis } from 'ioredis';
import { parseInfo, parseReplicaAcks } from './info.js';

/**
 * After a diskless sync the primary marks a replica online but holds its command stream until the
 * replica's first REPLCONF ACK (up to 1 s later). Meanwhile the replica says master_link_status:up
 * and its offset matches, yet every new write exists on the primary only. A replica counts as in
 * sync only once the primary has an ACK from it covering a write made after its sync: a PUBLISH
 * (propagated, touches no key) and WAIT, which asks replicas for an ACK.
 */
export async function confirmStreaming(
  primary: Redis,
  replica: { host: string; port: number },
  waitMs = 1500,
): Promise<boolean> {
  await primary.publish('__redis-ha__:sync-check', `${replica.host}:${replica.port}`);
  const target = Number(parseInfo(await primary.info('replication')).master_repl_offset ?? 0);
  await primary.call('WAIT', '1', String(waitMs));
  const acks = parseReplicaAcks(parseInfo(await primary.info('replication')));
  const ack = acks.find(
    (a) => a.port === replica.port && (a.ip === replica.host || replica.host === 'localhost'),
  );
  return ack !== undefined && ack.state === 'online' && ack.offset >= target;
}
