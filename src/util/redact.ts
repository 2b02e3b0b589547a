/**
 * Secrets are registered once when loaded; every string that leaves the process through logs,
 * errors, events or JSON passes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  // Also cover credentials embedded in redis:// URLs and AUTH lines from any source.
  return out
    .replace(/(rediss?:\/\/[^:/@\s]*:)[^@\s]+@/g, '$1***@')
    .replace(
      /\b(AUTH|requirepass|masterauth|auth-pass|sentinel-pass)(\s+)("[^"]*"|\S+)/gi,
      '$1$2***',
    );
}

/**
 * One-time dashboard login links (`/login?once=...`) are for the terminal of whoever started
 * redis-ha: events (their files, the timeline, `logs`) never keep one usable.
 */
export function redactLoginLinks(text: string): string {
  return text.replace(/([?&]once=)[^&\s#]+/g, '$1***');
}
