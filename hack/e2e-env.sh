#!/usr/bin/env bash
# e2e-env.sh: everything `make test` needs to run e2e tests on real kind.
#   1. a Docker engine that answers (hack/docker-up.sh);
#   2. a kind node image, chosen in this order:
#        LABGRADE_NODE_IMAGE if set (must exist locally or be pullable);
#        kind's default node image, if present locally or pullable;
#        else one built offline by hack/build-node-image.sh (cached);
#   3. proof that this engine can run privileged containers from that image
#      (kind nodes are privileged), including `docker exec --privileged`.
# The LAST line on stdout is the node image name; everything else is stderr:
#   LABGRADE_NODE_IMAGE=$(make -s e2e-env | tail -1)
# Args are passed to build-node-image.sh (e.g. --force).
set -Eeuo pipefail
LG_SCRIPT=e2e-env
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

phase docker
"$here/docker-up.sh"
phase_end

# kind's default node image, read from the kind module this repo pins so the
# two can never disagree.
kind_default_image() {
  local dir
  dir=$(cd "$here/.." && go list -m -f '{{.Dir}}' sigs.k8s.io/kind 2>/dev/null) || return 1
  sed -n 's/^const Image = "\(.*\)"/\1/p' "$dir/pkg/apis/config/defaults/image.go"
}
# present_or_pull IMAGE: true if the image is local or could be pulled now.
present_or_pull() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  log "trying to pull $1"
  timeout 600 docker pull -q "$1" >/dev/null 2>&1
}

phase node-image
if [ -n "${LABGRADE_NODE_IMAGE:-}" ]; then
  present_or_pull "$LABGRADE_NODE_IMAGE" || die "LABGRADE_NODE_IMAGE=$LABGRADE_NODE_IMAGE is neither in the local docker store nor pullable"
  image=$LABGRADE_NODE_IMAGE
  phase_end "from LABGRADE_NODE_IMAGE"
elif default=$(kind_default_image) && [ -n "$default" ] && [ "${1:-}" != --force ] && present_or_pull "$default"; then
  image=$default
  phase_end "kind's default"
else
  log "kind's default node image ${default:-?} cannot be had here; using an offline build"
  image=$("$here/build-node-image.sh" "$@" | tail -n 1)
  phase_end "offline build"
fi

phase privileged-check
# A kind node is a privileged container that is later entered with a
# privileged exec; both fail on some hosts (missing capabilities) with
# errors that kind reports far from their cause.
c=labgrade-privcheck-$$
trap 'docker rm -f "$c" >/dev/null 2>&1 || true' EXIT
if ! out=$(docker run -d --name "$c" --privileged --entrypoint sleep "$image" 300 2>&1); then
  die "this Docker engine cannot run privileged containers, which kind nodes are: $(printf '%s' "$out" | tail -n 1 | cut -c1-200) (on hosts without CAP_SYS_RESOURCE run hack/docker-up.sh with dockerd stopped)"
fi
if ! out=$(docker exec --privileged "$c" true 2>&1); then
  die "'docker exec --privileged' fails on this engine, which kind needs: $(printf '%s' "$out" | tail -n 1 | cut -c1-200)"
fi
docker rm -f "$c" >/dev/null
phase_end

log "ready in $(( $(date +%s) - LG_T0 ))s"
echo "$image"
