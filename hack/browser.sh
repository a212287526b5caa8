#!/usr/bin/env bash
# browser.sh: a headless Chromium for e2e/batch_browser_test.go, which opens
# the class page of `labgrade batch` (DIR/index.html) in a real browser.
#   1. chromium or chromium-browser on PATH: used as it is;
#   2. else Debian's chromium, installed with apt-get (as root); the package
#      lists are refreshed only when the install fails for want of them;
#   3. proof that it starts headless and renders a page.
# The LAST line on stdout is the browser's path; everything else is stderr:
#   LABGRADE_CHROMIUM=$(hack/browser.sh | tail -n 1)
set -Eeuo pipefail
LG_SCRIPT=browser
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_chromium() { command -v chromium || command -v chromium-browser; }

# install_chromium: apt-get install, once more after apt-get update if the
# lists lack the package or name files the mirror no longer has.
install_chromium() {
  command -v apt-get >/dev/null || die "no chromium on PATH and this is not a Debian/Ubuntu host: install Chromium yourself"
  [ "$(id -u)" = 0 ] || die "no chromium on PATH: run as root to install Debian's chromium, or install it yourself"
  export DEBIAN_FRONTEND=noninteractive
  local out
  out=$(mktemp)
  trap 'rm -f "$out"' RETURN
  log "apt-get install chromium"
  apt-get install -y -qq --no-install-recommends chromium >"$out" 2>&1 && return 0
  if ! grep -qE 'Unable to locate package|has no installation candidate|Failed to fetch|404 +Not Found' "$out"; then
    die "apt-get install chromium failed: $(tail -n 1 "$out" | cut -c1-200) (run it by hand to see why)"
  fi
  log "the package lists lack chromium or are stale: apt-get update, then again"
  apt-get update -qq >"$out" 2>&1 || die "apt-get update failed: the Debian mirror is not reachable ($(tail -n 1 "$out" | cut -c1-200))"
  apt-get install -y -qq --no-install-recommends chromium >"$out" 2>&1 \
    || die "apt-get install chromium failed: $(tail -n 1 "$out" | cut -c1-200) (run it by hand to see why)"
}

phase chromium
if bin=$(find_chromium); then
  phase_end "on PATH"
else
  install_chromium
  bin=$(find_chromium) || die "chromium was installed but neither chromium nor chromium-browser is on PATH"
  phase_end "installed"
fi

phase check
# --no-sandbox: Chromium's sandbox refuses to run as root (CI, containers)
if ! dom=$(timeout 60 "$bin" --headless --no-sandbox --disable-gpu --dump-dom \
  'data:text/html,<p id=ok>ok</p>' 2>/dev/null) || [[ $dom != *'<p id="ok">ok</p>'* ]]; then
  die "$bin does not render a page headless; try: $bin --headless --no-sandbox --dump-dom about:blank"
fi
phase_end "$("$bin" --version 2>/dev/null | head -n 1)"

log "ready in $(( $(date +%s) - LG_T0 ))s"
echo "$bin"
