#!/usr/bin/env bash
# TypeScript to dist/, plus the check_redis plugin bundled into one file for start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
npx --no-install esbuild src/monitor/check-redis-bin.ts --bundle --platform=node --format=cjs \
  --target=node20 --outfile=dist/check_redis.cjs --log-level=warning
chmod +x dist/src/cli/main.js dist/check_redis.cjs
