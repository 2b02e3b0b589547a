#!/usr/bin/env bash
# What the benchmarks compare against, from Debian: HAProxy 2.6 and Debian's check_redis
# (monitoring-plugins-contrib + libredis-perl), prometheus-redis-exporter. Installed as root when
# missing.
set -euo pipefail
missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
[ -x /usr/lib/nagios/plugins/check_redis ] || missing+=(monitoring-plugins-contrib)
perl -MRedis -e 1 >/dev/null 2>&1 || missing+=(libredis-perl)
command -v prometheus-redis-exporter >/dev/null 2>&1 || missing+=(prometheus-redis-exporter)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench-deps: installing ${missing[*]} from Debian ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: the benchmarks need: ${missing[*]}" >&2
  echo "hint: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 4
fi
