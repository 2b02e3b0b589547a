#!/usr/bin/env node
/** The `check_redis_sentinel` executable, bundled like check_redis (see scripts/build.sh). */
import { runCheckSentinel } from './check-redis-main.js';

void runCheckSentinel(process.argv.slice(2)).then(({ text, code }) => {
  process.stdout.write(`${text}\n`);
  process.exit(code);
});
