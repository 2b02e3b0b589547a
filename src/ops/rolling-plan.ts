import { RedisHaError } from '../errors/errors.js';

export type Version = readonly [number, number, number];

export interface RunningNode {
  name: string;
  version: Version;
  priority: number;
}

export interface RollingInput {
  primary: RunningNode;
  replicas: readonly RunningNode[];
  sentinels: readonly { name: string; version: Version }[];
  /** What the binaries the members will be restarted with report (`--version`). */
  target: { server: Version; sentinel: Version };
}

export type RollingStep =
  | { kind: 'restart-replica'; name: string }
  | { kind: 'switchover'; from: string; to: string }
  | { kind: 'restart-old-primary'; name: string }
  | { kind: 'restart-sentinel'; name: string };

export const formatVersion = (v: Version): string => v.join('.');

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * The version rules of a rolling restart, checked before anything changes. Pure.
 * - A replica that syncs is never older than its primary (an older replica may not load a newer
 *   RDB: redis#8432): replicas are restarted first, so the new server binary must not be older
 *   than the primary running now (a downgrade of the primary below its replicas is refused).
 * - Sentinels vote together only within one major version: a new sentinel binary of another
 *   major than a running sentinel is refused.
 */
export function checkVersions(i: RollingInput): void {
  const { server, sentinel } = i.target;
  if (compareVersions(server, i.primary.version) < 0)
    throw new RedisHaError(
      'VERSION_REFUSED',
      `the new redis-server is ${formatVersion(server)}, older than the primary ${i.primary.name} (${formatVersion(i.primary.version)}): its replicas, restarted first, would be older than their primary`,
      {
        hint: 'a downgrade of the primary below its replicas is refused; point redis.server at a binary of the same or a newer version',
      },
    );
  const other = i.sentinels.find((s) => s.version[0] !== sentinel[0]);
  if (other)
    throw new RedisHaError(
      'VERSION_REFUSED',
      `the new redis-sentinel is ${formatVersion(sentinel)}, sentinel ${other.name} runs ${formatVersion(other.version)}: sentinels of different major versions cannot vote together`,
      {
        hint: 'roll sentinels within one major version (a major change: `redis-ha down`, edit, `redis-ha up`)',
      },
    );
}

/**
 * The order (checked by checkVersions first): every replica, a switchover to the best-priority
 * replica (lowest non-zero priority, as Sentinel picks), the old primary, then the sentinels one
 * at a time (not when only node settings changed: `apply`). Pure.
 */
export function planRolling(i: RollingInput, o: { sentinels?: boolean } = {}): RollingStep[] {
  checkVersions(i);
  const to = [...i.replicas]
    .filter((r) => r.priority > 0)
    .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))[0];
  if (!to)
    throw new RedisHaError('USAGE', 'a rolling restart needs a replica that can be promoted', {
      hint: 'add a replica with priority > 0 (the primary is restarted only once it is a replica)',
    });
  return [
    ...i.replicas.map((r): RollingStep => ({ kind: 'restart-replica', name: r.name })),
    { kind: 'switchover', from: i.primary.name, to: to.name },
    { kind: 'restart-old-primary', name: i.primary.name },
    ...(o.sentinels === false ? [] : i.sentinels).map((s): RollingStep => ({
      kind: 'restart-sentinel',
      name: s.name,
    })),
  ];
}

export function describeRollingStep(s: RollingStep): string {
  switch (s.kind) {
    case 'restart-replica':
      return `restart replica ${s.name}, wait until synced`;
    case 'switchover':
      return `switchover ${s.from} -> ${s.to} (no acknowledged write lost)`;
    case 'restart-old-primary':
      return `restart ${s.name} (now a replica), wait until synced`;
    case 'restart-sentinel':
      return `restart sentinel ${s.name}, wait until the others count it`;
  }
}
