import type { HaEventKind, Level } from '../events/events.js';
import { credentials } from '../secrets/credentials.js';
import type { Secrets } from '../secrets/store.js';
import type { BoundTopology, Member } from '../topology/model.js';
import type { Child, ChildExit } from './child.js';
import { ChildTable } from './child-table.js';
import { FailoverTrigger } from './failover-trigger.js';
import { ClientPool } from './observe.js';
import type { PreparedRun } from './prepare.js';
import type { StateDir } from './state-dir.js';
import { SyncTracker } from './sync-tracker.js';

/** What a running supervisor holds: its processes and the pieces that look after them. */
export interface RunParts {
  t: BoundTopology;
  secrets: Secrets;
  pool: ClientPool;
  children: ChildTable;
  sync: SyncTracker;
  trigger: FailoverTrigger;
}

export interface RunHooks {
  onExit: (m: Member<number>, child: Child, exit: ChildExit) => void;
  /** The primary replicas sync with now (it changes with failovers). */
  primary: () => string;
  event: (kind: HaEventKind, message: string, member?: string, level?: Level) => void;
}

/** Wires a prepared run's parts together; nothing is started yet. */
export function assembleRun(p: PreparedRun, dir: StateDir, hooks: RunHooks): RunParts {
  const { t, secrets } = p;
  const pool = new ClientPool(t, secrets);
  const children = new ChildTable({
    dir,
    bins: p.bins,
    backoffMinMs: t.supervisor.restartBackoffMinMs,
    backoffMaxMs: t.supervisor.restartBackoffMaxMs,
    stopTimeoutMs: t.supervisor.stopTimeoutMs,
    onExit: hooks.onExit,
  });
  const sync = new SyncTracker(t, pool, (name, priority) =>
    hooks.event('synced', `in sync with ${hooks.primary()}; promotion priority ${priority}`, name),
  );
  const trigger = new FailoverTrigger({
    t,
    pool,
    auth: credentials(t, secrets, 'admin'),
    candidates: (name) => sync.candidates(name, (n) => children.has(n)),
    running: (name) => children.has(name),
    event: hooks.event,
  });
  return { t, secrets, pool, children, sync, trigger };
}
