#!/usr/bin/env node
/**
 * The `check_redis` executable. Bundled into one CommonJS file (dist/check_redis.cjs, see
 * scripts/build.sh): Node's own start-up is most of a check (~22 ms of ~37 ms here).
 */
import { runCheckRedis } from './check-redis-main.js';

void runCheckRedis(process.argv.slice(2)).then(({ text, code }) => {
  process.stdout.write(`${text}\n`);
  // Exit now: a hung server's socket must not keep the plugin alive past -t.
  process.exit(code);
});
