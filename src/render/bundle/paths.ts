/** Where a host bundle installs things on a server (and, per host, in the lab). */
export const HOST_PATHS = {
  /** The topology as this host sees it (`stateDir` points at STATE). */
  conf: '/etc/redis-ha',
  /** Secrets (0600), state, TLS, data and live configs (Redis and Sentinel rewrite theirs). */
  state: '/var/lib/redis-ha',
  /** The CLI in one file (agent, exporter, checks) and the plugins. */
  lib: '/usr/local/lib/redis-ha',
  units: '/etc/systemd/system',
  sysctl: '/etc/sysctl.d/90-redis-ha.conf',
  nagios: '/etc/nagios4/conf.d/redis-ha',
} as const;

/** Directories the lab gives each host a private copy of (bind mounts in its mount namespace). */
export const HOST_PRIVATE_DIRS = [
  HOST_PATHS.conf,
  HOST_PATHS.state,
  HOST_PATHS.lib,
  HOST_PATHS.units,
  '/etc/sysctl.d',
  '/etc/nagios4/conf.d',
  // sshd's privilege separation directory (each host runs its own sshd for `deploy`).
  '/run/sshd',
] as const;

/** The lab marks its hosts so install.sh leaves machine-wide settings (vm.*, THP) alone. */
export const LAB_MARKER = `${HOST_PATHS.conf}/lab-host`;

export const TOPOLOGY_FILE = `${HOST_PATHS.conf}/redis-ha.yaml`;
export const CLI_FILE = `${HOST_PATHS.lib}/redis-ha.mjs`;
export const RECONFIG_HOOK = `${HOST_PATHS.lib}/reconfig-hook`;
/** Sentinel's client-reconfig-script touches this; the agent watches it (no signal across users). */
export const RECONFIG_FLAG = `${HOST_PATHS.state}/run/reconfig`;
