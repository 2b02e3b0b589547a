/** What one look at the cluster saw. Plain data: produced by observe, consumed by pure analysis. */

export interface NodeObs {
  name: string;
  reachable: boolean;
  error?: string | undefined;
  /** INFO's run_id: a new one means the process restarted (its copy is gone). */
  runId?: string | undefined;
  role?: 'master' | 'slave' | undefined;
  loading?: boolean | undefined;
  masterHost?: string | undefined;
  masterPort?: number | undefined;
  linkUp?: boolean | undefined;
  syncInProgress?: boolean | undefined;
  syncTotalBytes?: number | undefined;
  syncReadBytes?: number | undefined;
  /** master_repl_offset on a primary, slave_repl_offset on a replica. */
  offset: number;
  connectedReplicas?: number | undefined;
  priority?: number | undefined;
  keys?: number | undefined;
  /** On a primary: what each replica last acknowledged. */
  acks?:
    | { ip: string; port: number; state: string; offset: number; lag?: number | undefined }[]
    | undefined;
  /** A fork child is saving or streaming a snapshot (INFO's rdb_bgsave_in_progress). */
  snapshotInProgress?: boolean | undefined;
  /** On a primary: whether it enforces a write quorum now (INFO's min_slaves_good_slaves). */
  quorumEnforced?: boolean | undefined;
}

export interface SentinelObs {
  name: string;
  reachable: boolean;
  error?: string | undefined;
  masterHost?: string | undefined;
  masterPort?: number | undefined;
  masterFlags?: string | undefined;
  numReplicas?: number | undefined;
  numOtherSentinels?: number | undefined;
  quorumOk?: boolean | undefined;
  quorumText?: string | undefined;
  tilt?: boolean | undefined;
}

export interface Observation {
  at: number;
  nodes: NodeObs[];
  sentinels: SentinelObs[];
}
