#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { RedisHaError, exitCodeFor, isRedisHaError } from '../errors/errors.js';
import { redact } from '../util/redact.js';
import type { CommandContext, CommandResult } from './context.js';

interface GlobalOpts {
  file?: string;
  stateDir?: string;
  json?: boolean;
}

function context(json: boolean): CommandContext {
  return {
    json,
    progress: (line) => (json ? process.stderr : process.stdout).write(redact(line) + '\n'),
  };
}

function print(r: CommandResult, json: boolean): void {
  if (r.printed) return;
  const clean = r.revealSecrets ? (s: string): string => s : redact;
  if (json) process.stdout.write(clean(JSON.stringify(r.json ?? null, null, 2)) + '\n');
  else if (r.text) process.stdout.write(clean(r.text) + '\n');
}

/** The only place that prints results and errors and sets the exit code. */
function fail(e: unknown, json: boolean): void {
  const err = isRedisHaError(e)
    ? e
    : new RedisHaError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          error: {
            code: err.code,
            message: redact(err.message),
            hint: err.hint ?? null,
            details: err.details ?? null,
          },
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stderr.write(`error: ${redact(err.message)}\n`);
    if (err.hint) process.stderr.write(`hint: ${redact(err.hint)}\n`);
    // Only bugs get a stack trace, and only on request.
    if (err.code === 'INTERNAL' && process.env.REDIS_HA_DEBUG && e instanceof Error)
      process.stderr.write(`${e.stack ?? ''}\n`);
  }
  process.exitCode = exitCodeFor(err.code);
}

function withTopology(cmd: Command, json = true): Command {
  cmd.option(
    '-f, --file <path>',
    'topology file (default: ./redis-ha.yaml, else the seed topology)',
  );
  cmd.option('--state-dir <dir>', 'state directory (default: stateDir of the topology)');
  if (json) cmd.option('--json', 'machine-readable output');
  return cmd;
}

async function run(
  opts: GlobalOpts,
  fn: (ctx: CommandContext) => Promise<CommandResult>,
): Promise<void> {
  const json = opts.json === true;
  try {
    const r = await fn(context(json));
    print(r, json);
    if (r.exitCode !== undefined) process.exitCode = r.exitCode;
  } catch (e) {
    fail(e, json);
  }
}

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
      'Nagios/Icinga plugins: `check redis|sentinel|endpoint ...` (redis and sentinel are also the check_redis and check_redis_sentinel executables; `check redis --help`)',
    )
    .argument('<plugin>', 'redis, sentinel or endpoint')
    .argument('[args...]', "the plugin's own arguments")
    .passThroughOptions()
    .action(async (plugin: string, args: string[]) =>
      run({ json: false }, async () => {
        const m = await import('../monitor/check-redis-main.js');
        const runners: Record<string, (a: string[]) => ReturnType<typeof m.runCheckRedis>> = {
          redis: m.runCheckRedis,
          sentinel: m.runCheckSentinel,
          endpoint: m.runCheckEndpoint,
        };
        const runner = runners[plugin];
        if (!runner)
          throw new RedisHaError('USAGE', `unknown plugin "${plugin}"`, {
            hint: 'plugins: redis, sentinel, endpoint',
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
      .command('switchover')
      .description(
        'planned primary change with no acknowledged write lost (CLIENT PAUSE WRITE, catch-up, Sentinel failover)',
      )
      .option('--to <node>', 'the replica to promote (default: the best-priority replica)'),
  ).action(async (o: GlobalOpts & { to?: string }) =>
    run(o, async (ctx) => (await import('./commands/switchover.js')).switchoverCommand(o, ctx)),
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

  const lab = program
    .command('lab')
    .description(
      "the topology's hosts as network namespaces on one machine (root): real addresses, ARP, the host bundles installed as on servers",
    );
  withTopology(
    lab
      .command('up')
      .description(
        "create the hosts (default: the seed's three + a client), install their bundles, wait until healthy",
      )
      .option('--keep', 'leave a failed lab in place for a look')
      .option('--empty', 'hosts (with sshd) only, nothing installed: for `redis-ha deploy --lab`'),
  ).action(async (o: GlobalOpts & { keep?: boolean; empty?: boolean }) =>
    run(o, async (ctx) => (await import('./commands/lab.js')).labUpCommand(o, ctx)),
  );
  withTopology(
    lab
      .command('down')
      .description('remove every namespace, link, mount point and process the lab created'),
  ).action(async (o: GlobalOpts) =>
    run(o, async (ctx) => (await import('./commands/lab.js')).labDownCommand(o, ctx)),
  );
  withTopology(
    lab
      .command('status')
      .description("the lab's hosts, their services and who holds the floating address"),
  ).action(async (o: GlobalOpts) =>
    run(o, async () => (await import('./commands/lab.js')).labStatusCommand(o)),
  );
  lab
    .command('init', { hidden: true })
    .requiredOption('--root <dir>')
    .option('--ssh <address>')
    .action(async (o: { root: string; ssh?: string }) =>
      run({}, async () => (await import('./commands/lab.js')).labInitCommand(o)),
    );

  withTopology(
    program
      .command('deploy')
      .description(
        "render every host's bundle, push it over SSH (the system ssh, key-based) and install it in a safe order, then wait until healthy; idempotent",
      )
      .option('--dry-run', 'show every file and command per host, change nothing')
      .option('--lab', "into the lab's hosts (`redis-ha lab up --empty`), from its client host")
      .option('--identity <key>', 'SSH private key (ssh -i)')
      .option(
        '--known-hosts <file>',
        'known_hosts file to use (new hosts are accepted and recorded)',
      ),
  ).action(
    async (
      o: GlobalOpts & { dryRun?: boolean; lab?: boolean; identity?: string; knownHosts?: string },
    ) => run(o, async (ctx) => (await import('./commands/deploy.js')).deployCommand(o, ctx)),
  );

  withTopology(
    program
      .command('agent')
      .description(
        "run a data host's agent: the floating address (vip mode) with fencing, immediate failover when the local primary dies, replicas promotable once synced",
      )
      .requiredOption('--host <name>', 'the host this agent runs on (a `hosts` name)'),
    false,
  ).action(async (o: GlobalOpts & { host: string }) =>
    run({ ...o, json: false }, async (ctx) =>
      (await import('./commands/agent.js')).agentCommand(o, ctx),
    ),
  );

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
      .option('--listen <host:port>', 'where to serve it (default: dashboard.listen)'),
    false,
  ).action(async (o: GlobalOpts & { listen?: string }) =>
    run({ ...o, json: false }, async (ctx) =>
      (await import('./commands/dashboard.js')).dashboardCommand(o, ctx),
    ),
  );

  withTopology(
    program
      .command('secrets')
      .argument(
        '[action]',
        '`show` (default): print the passwords; `rotate`: replace them, no restart',
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
