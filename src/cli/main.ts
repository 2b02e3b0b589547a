#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { RedisHaError, exitCodeFor } from '../errors/errors.js';
import { fail, run, withTopology, type GlobalOpts } from './runner.js';
import { addHostCommands } from './host-commands.js';

type BackupFlags = { to?: string; keep?: string; ifLocalReplica?: boolean; host?: string };

export function buildProgram(): Command {
  const program = new Command('redis-ha')
    .description('Run, fail over and supervise a high-availability Redis + Sentinel topology')
    .version('0.1.0')
    .showHelpAfterError('(see --help)')
    .exitOverride()
    .enablePositionalOptions();

  program
    .command('check')
    .description(
      'Nagios/Icinga plugins: `check redis|sentinel|endpoint|backup ...` (redis and sentinel are also the check_redis and check_redis_sentinel executables; `check redis --help`)',
    )
    .argument('<plugin>', 'redis, sentinel, endpoint or backup')
    .argument('[args...]', "the plugin's own arguments")
    .passThroughOptions()
    .action(async (plugin: string, args: string[]) =>
      run({ json: false }, async () => {
        const m = await import('../monitor/check-redis-main.js');
        const runners: Record<string, (a: string[]) => ReturnType<typeof m.runCheckRedis>> = {
          redis: m.runCheckRedis,
          sentinel: m.runCheckSentinel,
          endpoint: m.runCheckEndpoint,
          backup: (a) => m.runCheckBackup(a),
        };
        const runner = runners[plugin];
        if (!runner)
          throw new RedisHaError('USAGE', `unknown plugin "${plugin}"`, {
            hint: 'plugins: redis, sentinel, endpoint, backup',
          });
        const r = await runner(args);
        return { text: r.text, exitCode: r.code };
      }),
    );

  withTopology(
    program.command('validate').description('validate the topology file and print it resolved'),
  ).action(async (o: GlobalOpts) =>
    run(o, async () => (await import('./commands/validate.js')).validateCommand(o)),
  );

  withTopology(
    program
      .command('render')
      .description(
        'write redis.conf and sentinel.conf for every member (and Nagios objects, Prometheus config)',
      ),
  )
    .requiredOption('--out <dir>', 'directory to write the configs into')
    .option('--nagios', 'also write Nagios host/command/service definitions under OUT/nagios')
    .option(
      '--plugin-dir <dir>',
      'where check_redis and check_redis_sentinel are installed (for --nagios)',
      '/usr/lib/nagios/plugins',
    )
    .option(
      '--prometheus',
      'also write a Prometheus scrape config and example alert rules under OUT/prometheus',
    )
    .option(
      '--hosts',
      'one bundle per host instead: OUT/HOST/install.sh + files (configs, systemd units, sysctl, THP off, agent, Nagios objects on the supervision host)',
    )
    .action(
      async (
        o: GlobalOpts & {
          out: string;
          nagios?: boolean;
          pluginDir?: string;
          prometheus?: boolean;
          hosts?: boolean;
        },
      ) => run(o, async () => (await import('./commands/render.js')).renderCommand(o)),
    );

  withTopology(
    program
      .command('up')
      .description(
        'start the topology, supervised; healthy only once replicas are synced and sentinels agree',
      ),
    false,
  )
    .option(
      '-d, --detach',
      'return once healthy and leave the supervisor running in the background',
    )
    .addOption(new Option('--supervise').hideHelp())
    .action(async (o: GlobalOpts & { detach?: boolean; supervise?: boolean }) =>
      run({ ...o, json: false }, async (ctx) =>
        (await import('./commands/up.js')).upCommand(o, ctx),
      ),
    );

  withTopology(
    program.command('down').description('stop the supervisor and every process it started, by PID'),
  ).action(async (o: GlobalOpts) =>
    run(o, async (ctx) => (await import('./commands/down.js')).downCommand(o, ctx)),
  );

  withTopology(
    program
      .command('status')
      .description(
        'roles, offsets and lag, sentinel views, quorum, failovers (exit 1 when degraded)',
      ),
  ).action(async (o: GlobalOpts) =>
    run(o, async () => (await import('./commands/status.js')).statusCommand(o)),
  );

  withTopology(
    program
      .command('logs')
      .description("the supervisor's events, or one member's server log")
      .argument('[member]', 'node or sentinel name'),
  )
    .option('-n, --lines <n>', 'how many lines', '50')
    .action(async (member: string | undefined, o: GlobalOpts & { lines?: string }) =>
      run(o, async () => (await import('./commands/logs.js')).logsCommand(member, o)),
    );

  withTopology(
    program
      .command('failover')
      .description(
        'ask Sentinel for a failover and wait until every sentinel and replica follows the new primary',
      ),
  ).action(async (o: GlobalOpts) =>
    run(o, async (ctx) => (await import('./commands/failover.js')).failoverCommand(o, ctx)),
  );

  withTopology(
    program
      .command('backup')
      .description('snapshot a synced replica (never the primary) into DIR with a manifest')
      .option('--to <dir>', 'where (default: <backup.dir>/<time>; with --keep: the backup.dir)')
      .option(
        '--keep <n>',
        'DIR holds backups: this one goes into DIR/<time>, then keep the N newest',
      )
      .option(
        '--if-local-replica',
        "only from --host's node, and only while it is an in-sync replica",
      )
      .option('--host <name>', 'the host this runs on (a `hosts` name), for --if-local-replica'),
  ).action(async (o: GlobalOpts & BackupFlags) =>
    run(o, async (ctx) => (await import('./commands/backup.js')).backupCommand(o, ctx)),
  );

  withTopology(
    program
      .command('restore')
      .description(
        'put a backup into a stopped topology; --verify compares keys and values once up',
      )
      .argument('<dir>', 'a directory `backup` wrote')
      .option('--verify', 'compare the running primary with the manifest'),
  ).action(async (dir: string, o: GlobalOpts & { verify?: boolean }) =>
    run(o, async (ctx) => (await import('./commands/backup.js')).restoreCommand(dir, o, ctx)),
  );

  withTopology(
    program
      .command('switchover')
      .description(
        'planned primary change with no acknowledged write lost (CLIENT PAUSE WRITE, catch-up, Sentinel failover)',
      )
      .option('--to <node>', 'the replica to promote (default: the best-priority replica)')
      .option(
        '--shard <shard>',
        'a cluster topology: the shard whose primary moves (to its best synced replica by default)',
      ),
  ).action(async (o: GlobalOpts & { to?: string; shard?: string }) =>
    run(o, async (ctx) => (await import('./commands/switchover.js')).switchoverCommand(o, ctx)),
  );

  withTopology(
    program
      .command('restart')
      .description(
        'restart every member one at a time (replicas, a loss-free switchover, the old primary, sentinels); upgrades to redis.server / redis.sentinel',
      )
      .option('--rolling', 'one member at a time, each waited for'),
  ).action(async (o: GlobalOpts & { rolling?: boolean }) =>
    run(o, async (ctx) => (await import('./commands/restart.js')).restartCommand(o, ctx)),
  );

  withTopology(
    program
      .command('apply')
      .description(
        'change the running topology to the one in the file: prints the plan, asks, then executes it',
      )
      .option('--dry-run', 'print the plan only')
      .option('--yes', 'do not ask (needed when stdin is not a terminal)'),
  ).action(async (o: GlobalOpts & { dryRun?: boolean; yes?: boolean }) =>
    run(o, async (ctx) => (await import('./commands/apply.js')).applyCommand(o, ctx)),
  );

  withTopology(
    program
      .command('drill')
      .description(
        'inject a fault N times against the running topology and measure blackout, lost and misrouted acknowledged writes',
      )
      .requiredOption(
        '--fault <fault>',
        'kill | freeze | switchover | kill-replica | kill-sentinel; with --lab also partition | host-freeze | partition-heal',
      )
      .option(
        '--lab',
        'against the lab (`redis-ha lab up`): clients write through the floating address from its client host',
      )
      .option('--runs <n>', 'how many runs', '3')
      .option(
        '--for <duration>',
        'freeze, partition, host-freeze: how long the fault lasts (e.g. 12s; default: until another node is primary)',
      )
      .option(
        '--dataset <size>',
        'load this much data (10 KB values, e.g. 1gb) through the client path before the runs, remove it after',
      )
      .option(
        '--client <kind>',
        'endpoint (through the proxy) or sentinel (ioredis Sentinel client)',
        'endpoint',
      )
      .option(
        '--report <dir>',
        'write DIR/drill-report.html (self-contained) and DIR/drill-report.png (needs chromium)',
      ),
  ).action(
    async (
      o: GlobalOpts & {
        fault: string;
        runs: string;
        client: string;
        report?: string;
        lab?: boolean;
        for?: string;
        dataset?: string;
      },
    ) => run(o, async (ctx) => (await import('./commands/drill.js')).drillCommand(o, ctx)),
  );

  withTopology(
    program
      .command('proxy')
      .description('run the endpoint alone: a TCP proxy that always reaches the confirmed primary'),
    false,
  ).action(async (o: GlobalOpts) =>
    run({ ...o, json: false }, async (ctx) =>
      (await import('./commands/proxy.js')).proxyCommand(o, ctx),
    ),
  );

  addHostCommands(program);

  withTopology(
    program
      .command('exporter')
      .description(
        'run the Prometheus endpoint alone (/metrics: every node, sentinel, the endpoint, failover history)',
      )
      .option('--listen <host:port>', 'where to serve /metrics (default: exporter.listen)'),
    false,
  ).action(async (o: GlobalOpts & { listen?: string }) =>
    run({ ...o, json: false }, async (ctx) =>
      (await import('./commands/exporter.js')).exporterCommand(o, ctx),
    ),
  );

  withTopology(
    program
      .command('dashboard')
      .description(
        'run the live dashboard alone (topology, sentinel agreement, failover timeline, charts)',
      )
      .option('--listen <host:port>', 'where to serve it (default: dashboard.listen)')
      .option('--url', 'print a link that opens the running dashboard logged in (once, 10 min)'),
  ).action(async (o: GlobalOpts & { listen?: string; url?: boolean }) =>
    o.url
      ? run(o, async () => (await import('./commands/endpoint.js')).dashboardUrlCommand(o))
      : run({ ...o, json: false }, async (ctx) =>
          (await import('./commands/dashboard.js')).dashboardCommand(o, ctx),
        ),
  );

  withTopology(
    program
      .command('endpoint')
      .description('where applications connect: redis:// URL, user, password file, redis-cli line'),
  ).action(async (o: GlobalOpts) =>
    run(o, async () => (await import('./commands/endpoint.js')).endpointCommand(o)),
  );

  withTopology(
    program
      .command('secrets')
      .argument(
        '[action]',
        '`show` (default): print the passwords; `app`, `sentinels`, ...: one alone; `rotate`: replace them, no restart',
      )
      .description(
        'print the generated passwords (the only command that does), or rotate them without downtime',
      )
      .option(
        '--finish',
        'rotate: refuse the old passwords (after applications moved to the new ones)',
      )
      .option('--now', 'rotate: start and finish at once (no application uses the old passwords)'),
  ).action(
    async (action: string | undefined, o: GlobalOpts & { finish?: boolean; now?: boolean }) =>
      run(o, async (ctx) => {
        const m = await import('./commands/secrets.js');
        return action === 'rotate' ? m.rotateCommand(o, ctx) : m.secretsCommand(o, action);
      }),
  );
  return program;
}

async function main(argv: string[]): Promise<void> {
  // Alone: what to do next, rather than a usage error.
  if (argv.length <= 2)
    return run({}, async () => (await import('./commands/next-steps.js')).nextSteps());
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version are not errors; commander already printed them.
      process.exitCode = e.exitCode === 0 ? 0 : exitCodeFor('USAGE');
      return;
    }
    fail(e, argv.includes('--json'));
  }
}

await main(process.argv);
