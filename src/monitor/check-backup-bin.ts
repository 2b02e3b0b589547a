#!/usr/bin/env node
/** The `check_redis_backup` executable, bundled like check_redis (see scripts/build.sh). */
import { runCheckBackup } from './check-backup.js';

void runCheckBackup(process.argv.slice(2)).then(({ text, code }) => {
  process.stdout.write(`${text}\n`);
  process.exit(code);
});
