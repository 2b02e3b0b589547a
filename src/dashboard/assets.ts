import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built page and report assets (scripts/build.sh writes them to dist/dashboard/): beside
 * the compiled sources (dist/src/x/ -> dist/dashboard/), or beside the single-file CLI a host
 * bundle installs (redis-ha.mjs + dashboard/).
 */
export const ASSETS: URL =
  [new URL('../../dashboard/', import.meta.url), new URL('./dashboard/', import.meta.url)].find(
    (u) => existsSync(fileURLToPath(new URL('index.html', u))),
  ) ?? new URL('../../dashboard/', import.meta.url);
