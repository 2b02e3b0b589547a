import path from 'node:path';

/** Screenshots and reports the tests keep for people to look at (gitignored). */
export const ARTIFACTS =
  process.env.REDIS_HA_TEST_ARTIFACTS ??
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../test-artifacts');
