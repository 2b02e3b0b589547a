/** Reproducible randomness for fuzz suites: REDIS_HA_FUZZ_SEED replays a failing run. */
export const FUZZ_SEED = Number(process.env.REDIS_HA_FUZZ_SEED ?? 20261125);

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/** A random edit of text: flip, delete, insert or duplicate a slice, or splice in a token. */
export function mutate(r: () => number, text: string, tokens: readonly string[]): string {
  const i = Math.floor(r() * (text.length + 1));
  const j = Math.min(text.length, i + Math.floor(r() * 12));
  switch (Math.floor(r() * 5)) {
    case 0:
      return text.slice(0, i) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(i + 1);
    case 1:
      return text.slice(0, i) + text.slice(j);
    case 2:
      return text.slice(0, i) + text.slice(i, j) + text.slice(i);
    default:
      return text.slice(0, i) + pick(r, tokens) + text.slice(i);
  }
}
