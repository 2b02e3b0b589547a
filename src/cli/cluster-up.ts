/**
 * `up` of a cluster topology: start, form, verify healthy. No supervision yet: in the foreground
 * Ctrl-C (or `redis-ha down`) stops the nodes; with --detach they run on and `down` stops them by
 * their PID records.
 */
import { RedisHaError } from '../errors/errors.js';
import { startCluster, type ClusterRun } from '../cluster/start.js';
import { acquireLock, releaseLock, runningSupervisor } from '../state/lock.js';
import { onShutdown } from '../util/signals.js';
import { StateDir } from '../state/state-dir.js';
import { caFile } from '../state/tls.js';
import { clusterNodes, type Topology } from '../topology/model.js';
import type { CommandContext, CommandResult } from './context.js';
import type { UpOptions } from './commands/up.js';

function connectionHelp(run: ClusterRun): string {
  const { t, dir } = run;
  const seeds = clusterNodes(t)
    .filter((n) => n.role === 'primary')
    .map((n) => `${n.host}:${n.port}`);
  const tls = t.tls.enabled ? `--tls --cacert ${caFile(t)} ` : '';
  const [host, port] = (seeds[0] ?? '127.0.0.1:0').split(':');
  const user = t.auth.mode === 'acl' ? '--user app ' : '';
  return [
    `cluster ${run.result.outcome} and healthy: ${t.cluster?.shards.length ?? 0} shards, ${t.nodes.length} nodes; seed nodes ${seeds.join(', ')}`,
    `clients need Redis Cluster support (e.g. ioredis's Cluster, redis-cli -c), as ${t.auth.mode === 'acl' ? 'user app' : 'the shared password'} (\`npx redis-ha secrets\`, stored 0600 in ${dir.secretsFile}); e.g. redis-cli -c ${tls}-h ${host} -p ${port} ${user}--askpass`,
    'not supervised yet: a node that dies is not restarted (Redis Cluster still fails its shard over)',
  ].join('\n');
}

export async function clusterUp(
  t: Topology,
  o: UpOptions,
  ctx: CommandContext,
): Promise<CommandResult> {
  const dir = new StateDir(t.stateDir);
  const running = runningSupervisor(dir);
  if (running !== undefined)
    throw new RedisHaError(
      'ALREADY_RUNNING',
      `this cluster is already running in the foreground (pid ${running})`,
      { hint: 'see `redis-ha status`; stop it with `redis-ha down`' },
    );
  const started = Date.now();
  if (!o.detach) acquireLock(dir);
  let run: ClusterRun;
  try {
    run = await startCluster(t, { progress: ctx.progress });
  } catch (e) {
    if (!o.detach) releaseLock(dir);
    throw e;
  }
  const took = `${((Date.now() - started) / 1000).toFixed(2)}s`;
  const json = {
    outcome: run.result.outcome,
    seconds: Number(took.slice(0, -1)),
    stateDir: dir.root,
    shards: run.result.view.shards.map((s) => ({
      name: s.name,
      primary: s.primary,
      slots: s.slotCount,
    })),
  };
  if (o.detach) {
    run.release();
    return {
      text: `${connectionHelp(run)}\nnodes running in the background (${took} to healthy); stop them with \`redis-ha down\``,
      json,
    };
  }
  ctx.progress(
    `${connectionHelp(run)}\nrunning in the foreground (${took} to healthy): Ctrl-C stops every node (or \`redis-ha down\` from another shell)`,
  );
  await new Promise<void>((resolve) => {
    onShutdown(async () => {
      await run.stop();
      resolve();
    });
  });
  releaseLock(dir);
  return { text: 'all nodes stopped', json: { ...json, stopped: true } };
}
