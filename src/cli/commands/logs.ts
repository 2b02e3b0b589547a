import { existsSync, readFileSync } from 'node:fs';
import { RedisHaError } from '../../errors/errors.js';
import { formatEvent, type HaEvent } from '../../events/events.js';
import { StateDir } from '../../state/state-dir.js';
import { redact } from '../../util/redact.js';
import { readSecrets } from '../../state/secrets.js';
import type { CommandResult, TopologyOptions } from '../context.js';
import { topologyFrom } from '../context.js';

export interface LogsOptions extends TopologyOptions {
  lines?: string;
}

/** Without a member: the supervisor's event log. With one: that server's own log. */
export function logsCommand(member: string | undefined, o: LogsOptions): Promise<CommandResult> {
  const t = topologyFrom(o, ['sentinel', 'cluster']);
  const dir = new StateDir(t.stateDir);
  readSecrets(dir); // registers secrets so redaction covers server logs too
  const n = Math.max(1, Number(o.lines ?? 50) || 50);
  if (!member) {
    if (!existsSync(dir.eventsFile)) return Promise.resolve({ text: 'no events yet', json: [] });
    const events = readFileSync(dir.eventsFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .slice(-n)
      .map((l) => JSON.parse(l) as HaEvent);
    return Promise.resolve({ text: events.map(formatEvent).join('\n'), json: events });
  }
  const m = [...t.nodes, ...t.sentinels].find((x) => x.name === member);
  if (!m) {
    throw new RedisHaError('USAGE', `no member named "${member}"`, {
      hint: `members: ${[...t.nodes, ...t.sentinels].map((x) => x.name).join(', ')}`,
    });
  }
  const file = dir.logFile(m.kind, m.name);
  if (!existsSync(file)) return Promise.resolve({ text: `no log yet at ${file}`, json: [] });
  const lines = redact(readFileSync(file, 'utf8')).trimEnd().split('\n').slice(-n);
  return Promise.resolve({ text: lines.join('\n'), json: lines });
}
