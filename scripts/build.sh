#!/usr/bin/env bash
# TypeScript to dist/, the check_redis plugins bundled into one file each for start-up time, and
# the dashboard page.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
for plugin in redis sentinel backup; do
  out=dist/check_redis.cjs
  [ "$plugin" = redis ] || out=dist/check_redis_$plugin.cjs
  npx --no-install esbuild "src/monitor/check-$plugin-bin.ts" --bundle --platform=node --format=cjs \
    --target=node20 --outfile="$out" --log-level=warning
  chmod +x "$out"
done
chmod +x dist/src/cli/main.js
# The dashboard page: one script and one stylesheet (Preact, htm, uPlot bundled; no CDN).
mkdir -p dist/dashboard
npx --no-install esbuild src/dashboard/client/app.ts --bundle --minify --format=iife \
  --target=es2020 --outfile=dist/dashboard/app.js --log-level=warning
npx --no-install esbuild src/dashboard/client/app.css --bundle --minify \
  --outfile=dist/dashboard/app.css --log-level=warning
cp src/dashboard/client/index.html dist/dashboard/index.html
# The drill report's charts (uPlot), inlined into each report.
npx --no-install esbuild src/drill/report-client.ts --bundle --minify --format=iife \
  --target=es2020 --outfile=dist/dashboard/report.js --log-level=warning
cp node_modules/uplot/dist/uPlot.min.css dist/dashboard/uPlot.min.css
# The whole CLI in one file: what a host bundle installs (agent, checks, exporter) next to node.
npx --no-install esbuild src/cli/main.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile=dist/redis-ha.mjs --external:playwright-core --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
