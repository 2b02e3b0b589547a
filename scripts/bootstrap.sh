#!/usr/bin/env bash
# Makes a fresh clone runnable: Redis from Debian (as root), npm dependencies, a build.
# Idempotent and quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

need_redis=0
for bin in redis-server redis-sentinel redis-cli; do
  command -v "$bin" >/dev/null 2>&1 || need_redis=1
done
if [ "$need_redis" = 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing redis-server redis-sentinel redis-tools from Debian ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server redis-sentinel redis-tools >/dev/null
    # Debian's packages start system services where an init system runs; redis-ha does not use them.
  else
    echo "error: Redis is not installed (redis-server, redis-sentinel, redis-cli)." >&2
    echo "hint: run as root, or: sudo apt-get install -y redis-server redis-sentinel redis-tools" >&2
    exit 4
  fi
fi

# The lab's agents announce the floating address with arping (gratuitous ARP).
if ! command -v arping >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: installing iputils-arping (the lab's floating address) ..."
  export DEBIAN_FRONTEND=noninteractive
  [ "$need_redis" = 1 ] || apt-get update -qq
  apt-get install -y -qq iputils-arping >/dev/null || echo "bootstrap: arping not installed (lab tests skip)" >&2
fi

# npm ci only when node_modules does not match the lock file.
if ! cmp -s package-lock.json node_modules/.redis-ha-lock 2>/dev/null; then
  echo "bootstrap: npm ci ..."
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.redis-ha-lock
fi

# Build when any source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "bootstrap: building ..."
  bash scripts/build.sh
  touch "$stamp"
fi
