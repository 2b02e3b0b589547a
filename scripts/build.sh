#!/usr/bin/env bash
# TypeScript to dist/, plus the check_redis plugin bundled into one file for start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
for plugin in redis sentinel; do
  out=dist/check_redis.cjs
  [ "$plugin" = sentinel ] && out=dist/check_redis_sentinel.cjs
  npx --no-install esbuild "src/monitor/check-$plugin-bin.ts" --bundle --platform=node --format=cjs \
    --target=node20 --outfile="$out" --log-level=warning
  chmod +x "$out"
done
chmod +x dist/src/cli/main.js
