import type { Command } from 'commander';
import { run, withTopology, type GlobalOpts } from './runner.js';

/** The commands for real hosts: the lab, deploy, and a data host's agent. */
export function addHostCommands(program: Command): void {
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
}
