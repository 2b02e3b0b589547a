/** Typed durations ('1s', '500ms', '2m') and sizes ('512mb', '8gb'), parsed once at validation. */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;
export const SIZE_PATTERN = /^(\d+)\s*(b|kb|mb|gb|k|m|g)?$/i;

/** Milliseconds for a duration string; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (DURATION_UNITS[m[2].toLowerCase()] ?? NaN);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Bytes for a size string ('512mb'); a bare number is bytes. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_PATTERN.exec(text.trim());
  if (!m?.[1]) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const bytes = Number(m[1]) * (SIZE_UNITS[unit] ?? NaN);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 10 ? 0 : 1)}${units[i] ?? 'TB'}`;
}
