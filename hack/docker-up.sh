#!/usr/bin/env bash
# docker-up.sh: make sure a Docker engine that can run kind nodes answers.
#
# Idempotent. If `docker info` already works, that engine is left alone
# (never restarted or reconfigured). Otherwise:
#   1. install Debian's docker.io, containerd, runc, jq and iptables if missing;
#   2. on hosts whose capability bounding set lacks CAP_SYS_RESOURCE, install
#      hack/runc-nosysres as /usr/local/bin/runc-nosysres and make it dockerd's
#      default runtime in /etc/docker/daemon.json (an existing file is merged,
#      its old version kept as daemon.json.labgrade-bak);
#   3. mkdir -p /lib/modules (kind bind-mounts it into every node);
#   4. start dockerd in the background (log: $DOCKERD_LOG) and wait for it.
# Env: DOCKERD_LOG (/var/log/labgrade-dockerd.log), DOCKER_WAIT (60 s).
set -Eeuo pipefail
LG_SCRIPT=docker-up
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/labgrade-dockerd.log}
DOCKER_WAIT=${DOCKER_WAIT:-60}
WRAPPER=/usr/local/bin/runc-nosysres
DAEMON_JSON=/etc/docker/daemon.json

if docker info >/dev/null 2>&1; then
  log "docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null)); leaving it as it is"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "docker is not answering and starting it needs root: start Docker yourself (e.g. 'sudo systemctl start docker') and run again"

# 1. packages
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v containerd >/dev/null 2>&1 || need+=(containerd)
[ -x /usr/sbin/runc ] || need+=(runc)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  ( apt_install "${need[@]}" ) || die "cannot install Docker (${need[*]}) from the Debian mirror; install a Docker engine yourself and run again"
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is still not installed after apt-get; install a Docker engine yourself"

# 2. runc wrapper, only where the host needs it. Bit 24 of CapBnd is
# CAP_SYS_RESOURCE (linux/capability.h).
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if (( (16#$capbnd >> 24 & 1) == 0 )); then
  if ! cmp -s "$here/runc-nosysres" "$WRAPPER"; then
    log "host lacks CAP_SYS_RESOURCE: installing $WRAPPER"
    install -m 0755 "$here/runc-nosysres" "$WRAPPER.new" && mv -f "$WRAPPER.new" "$WRAPPER"
  fi
  mkdir -p /etc/docker
  cur=$( [ -s "$DAEMON_JSON" ] && jq -r '."default-runtime" // ""' "$DAEMON_JSON" 2>/dev/null || true)
  if [ "$cur" != nosysres ]; then
    if [ -s "$DAEMON_JSON" ]; then
      cp -a "$DAEMON_JSON" "$DAEMON_JSON.labgrade-bak"
      jq --arg w "$WRAPPER" '.runtimes.nosysres.path=$w | ."default-runtime"="nosysres"' \
        "$DAEMON_JSON.labgrade-bak" >"$DAEMON_JSON.new" || die "$DAEMON_JSON is not valid JSON; fix it and run again"
      mv "$DAEMON_JSON.new" "$DAEMON_JSON"
    else
      jq -n --arg w "$WRAPPER" '{runtimes: {nosysres: {path: $w}}, "default-runtime": "nosysres"}' >"$DAEMON_JSON"
    fi
    log "wrote $DAEMON_JSON (default runtime: nosysres)"
  fi
fi

# 3. kind bind-mounts /lib/modules into each node
mkdir -p /lib/modules

# 4. start dockerd, unless one is already starting
if pidof dockerd >/dev/null 2>&1; then
  log "a dockerd process exists but does not answer yet; waiting for it"
else
  log "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # dockerd outlives this script: it must not inherit our other open
  # files. A lock a caller holds (flock /tmp/labgrade-kind.lock make
  # test) would otherwise be held by dockerd for as long as it runs.
  (
    for fd in /proc/self/fd/*; do
      n=${fd##*/}
      [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null
    done
    exec setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null
  ) &
  disown || true
fi
for _ in $(seq 1 "$DOCKER_WAIT"); do
  if docker info >/dev/null 2>&1; then
    log "docker engine up ($(docker version --format '{{.Server.Version}}'), runtime $(docker info --format '{{.DefaultRuntime}}'))"
    exit 0
  fi
  sleep 1
done
die "dockerd did not answer within ${DOCKER_WAIT}s; see the last lines of $DOCKERD_LOG ($(tail -n 1 "$DOCKERD_LOG" 2>/dev/null | cut -c1-160))"
