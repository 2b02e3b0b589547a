import path from 'node:path';
import { openState, type PreparedState } from '../state/prepare.js';
import { loadTopology } from '../topology/load.js';
import { RedisHaError } from '../errors/errors.js';
import type { Topology, TopologyKind } from '../topology/model.js';

/** What a command returns; `main` alone prints it and sets the exit code. */
export interface CommandResult {
  /** Human output (stdout). */
  text?: string;
  /** Data for --json. */
  json?: unknown;
  exitCode?: number;
  /** Printed without redaction: only `secrets`, whose purpose is to show them. */
  revealSecrets?: boolean;
  /** A child process (the lab's client host) already printed the output. */
  printed?: boolean;
}

export interface CommandContext {
  json: boolean;
  /** A progress line (stderr with --json, stdout otherwise). */
  progress: (line: string) => void;
}

export interface TopologyOptions {
  file?: string;
  stateDir?: string;
  json?: boolean;
}

/** The commands that take a cluster topology so far. */
export const CLUSTER_COMMANDS = 'up, down, status, validate, logs, exporter, switchover --shard';

/**
 * Loads the topology named by -f (or the default), with --state-dir applied. A command accepts
 * the kinds it knows: Sentinel topologies unless it says otherwise.
 */
export function topologyFrom(
  o: TopologyOptions,
  kinds: readonly TopologyKind[] = ['sentinel'],
): Topology {
  const t = loadTopology({ file: o.file });
  if (!kinds.includes(t.kind))
    throw new RedisHaError(
      'USAGE',
      `${t.source} is a ${t.kind} topology: this command supports ${kinds.join(' and ')} topologies only`,
      { hint: `commands that run a cluster topology so far: ${CLUSTER_COMMANDS}` },
    );
  if (!o.stateDir) return t;
  return Object.freeze({ ...t, stateDir: path.resolve(o.stateDir) });
}

/** A topology that `up` has started (or rendered) before: its ports, state and secrets. */
export function startedTopology(
  o: TopologyOptions,
  kinds: readonly TopologyKind[] = ['sentinel'],
): Promise<PreparedState> {
  return openState(topologyFrom(o, kinds));
}
