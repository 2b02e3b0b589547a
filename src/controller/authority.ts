export interface FailoverRequest {
  started: boolean;
  /** Who answered (the sentinel that took it, or refused it). */
  by?: string | undefined;
  text: string;
  /** A failover is already running: asking again changes nothing. */
  inProgress: boolean;
}

/**
 * Who decides failovers. Sentinel today; Redis Cluster (its own failure detection and
 * `CLUSTER FAILOVER`) is the next one: the controller only asks it for a failover away from a
 * node and lets it pick the replica.
 */
export interface Authority {
  /** How events name it: Sentinel, Redis Cluster. */
  readonly name: string;
  failover(from: string): Promise<FailoverRequest>;
  /**
   * Whether a majority of the authority's own observers have had no answer from `node` for at
   * least `silentMs` (their last valid reply, not their failure timer). Lets a process that
   * does not run the primary fail over a silent one without waiting for the observers' ping and
   * vote rounds; without it, only the primary's own supervisor does.
   */
  confirmsSilence?(node: string, silentMs: number): Promise<boolean>;
}
