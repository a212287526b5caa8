# Shared helpers for the hack/ scripts. Source it; do not run it.
#
# Conventions every script follows:
#   - progress goes to stderr, so a script's stdout can carry one result
#     (e2e-env.sh prints the node image name as its last stdout line);
#   - each phase prints its wall time when it ends;
#   - a failure prints ONE line starting with "error:" that names the cause
#     and what to do, then exits non-zero.

LG_T0=${LG_T0:-$(date +%s)}
export LG_T0

log() { printf '[%s %4ss] %s\n' "${LG_SCRIPT:-hack}" "$(( $(date +%s) - LG_T0 ))" "$*" >&2; }

# die MESSAGE: the one clear line, then exit 1.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# phase NAME starts a timed phase; phase_end closes it and prints its time.
phase() { LG_PHASE=$1; LG_PHASE_T0=$(date +%s); log "phase $1 ..."; }
phase_end() { log "phase ${LG_PHASE} done in $(( $(date +%s) - LG_PHASE_T0 ))s${1:+ ($1)}"; }

# The cache every bootstrap script shares; kept across runs so that a second
# `make test` skips the expensive phases.
LG_CACHE=${LG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/labgrade}
export LG_CACHE

# free_gb DIR: free space in whole GiB on the filesystem holding DIR (or its
# nearest existing parent).
free_gb() {
  local d=$1
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  df -Pk "$d" | awk 'NR==2 {print int($4/1048576)}'
}

# apt_install PKG...: install Debian packages that are missing.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "need ${missing[*]} but this is not a Debian/Ubuntu host; install them yourself"
  [ "$(id -u)" = 0 ] || die "need to install ${missing[*]}: run as root or install them yourself"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed: the Debian mirror is not reachable (needed for ${missing[*]})"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || die "apt-get install ${missing[*]} failed; run it by hand to see why"
}
