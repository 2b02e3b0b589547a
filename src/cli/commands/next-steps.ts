import { CLI_NAME } from '../connection-help.js';
import type { CommandResult } from '../context.js';

/** What `redis-ha` alone prints: the five commands a newcomer needs next. */
export function nextSteps(cli = CLI_NAME): CommandResult {
  const steps: [string, string][] = [
    ['status', 'is it healthy? roles, replication lag, sentinels, failovers'],
    ['endpoint', 'where applications connect: redis:// URL, user app, redis-cli line'],
    ['dashboard --url', 'a link that opens the live dashboard, logged in'],
    ['drill --fault kill', 'kill -9 the primary under writes: the blackout, any write lost'],
    ['down', 'stop everything (`npm start` or `up --detach` starts it again)'],
  ];
  const width = Math.max(...steps.map(([c]) => c.length)) + cli.length + 3;
  return {
    text: [
      'redis-ha runs a high-availability Redis: a primary, a replica, 3 sentinels, one endpoint.',
      `Start it with \`npm start\` (foreground) or \`${cli} up --detach\`, then:`,
      '',
      ...steps.map(([c, what]) => `  ${`${cli} ${c}`.padEnd(width)}${what}`),
      '',
      `Every command: \`${cli} --help\`; one in detail: \`${cli} <command> --help\`.`,
    ].join('\n'),
    json: { next: steps.map(([c, what]) => ({ command: `${cli} ${c}`, what })) },
  };
}
