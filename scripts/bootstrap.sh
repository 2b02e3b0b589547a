#!/usr/bin/env bash
# Makes a fresh clone runnable: Redis from Debian (as root), npm dependencies, a build.
# `--test` (npm test) also installs the Debian packages the tests use, so that none is skipped.
# Idempotent and quiet when everything is already in place. Installs start no service.
set -euo pipefail
cd "$(dirname "$0")/.."

is_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# Debian's postinst scripts start the services they install where an init system runs; redis-ha
# and its tests start their own processes, so a policy-rc.d refuses it while apt runs (Docker's
# images ship one; a machine that has its own is left alone).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && ours=1
  fi
  local status=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } || status=$?
  if [ "$ours" = 1 ]; then rm -f "$policy"; fi
  return "$status"
}

need_redis=0
for bin in redis-server redis-sentinel redis-cli; do
  command -v "$bin" >/dev/null 2>&1 || need_redis=1
done
if [ "$need_redis" = 1 ]; then
  if is_root; then
    echo "bootstrap: installing redis-server redis-sentinel redis-tools from Debian ..."
    apt_install redis-server redis-sentinel redis-tools
  else
    echo "error: Redis is not installed (redis-server, redis-sentinel, redis-cli)." >&2
    echo "hint: run as root, or: sudo apt-get install -y redis-server redis-sentinel redis-tools" >&2
    exit 4
  fi
fi

# What is missing of: the lab's floating address (arping), and with --test what the tests use.
missing=()
want() { [ -e "$1" ] || command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
want arping iputils-arping
if [ "${1:-}" = --test ]; then
  want ip iproute2
  want /usr/sbin/sshd openssh-server
  want ssh openssh-client
  want /usr/lib/python3/dist-packages/redis/__init__.py python3-redis
  want /usr/bin/promtool prometheus
  want /usr/bin/chromium chromium
  want /usr/sbin/nagios4 nagios4-core
  want systemd-analyze systemd
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if is_root; then
    echo "bootstrap: installing ${missing[*]} from Debian ..."
    apt_install "${missing[@]}" || echo "bootstrap: could not install all of ${missing[*]}" >&2
  elif [ "${1:-}" = --test ]; then
    echo "bootstrap: not root, not installing ${missing[*]} (the tests that need them skip)" >&2
  fi
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
