/** Quotes a value for redis.conf / sentinel.conf (Redis's sdssplitargs rules). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function header(title: string, source: string): string[] {
  return [
    `# ${title}`,
    `# Rendered by redis-ha from ${source}.`,
    '# Re-rendered on every `redis-ha up`: edit the topology file, not this file.',
    '# Contains passwords: keep it 0600.',
  ];
}
