#!/usr/bin/env bash
# build-node-image.sh: build a kind node image with no container registry.
#
# Everything comes from the Go module proxy (Kubernetes, etcd, CoreDNS,
# crictl, kind's base-image files) and the Debian mirror (the node's root
# filesystem). Phases, each skipped when its output already exists:
#   kube-build        kube-apiserver, -controller-manager, -scheduler, -proxy,
#                     kubelet, kubeadm, kubectl built from k8s.io/kubernetes,
#                     with the version stamped in (kubeadm refuses otherwise)
#   go-extras         crictl, etcd, CoreDNS and our pause (hack/node-image/)
#   rootfs            Debian trixie root filesystems (node, and a small "net"
#                     one for kube-proxy and the CNI), imported into docker
#   component-images  the images kubeadm asks for, plus our CNI image
#   node-assemble     rootfs + kind's base files + binaries + manifests
#   image-import      the component images pre-loaded into the node's
#                     containerd, so the node never pulls
# The image name is the last line on stdout. Progress and timings: stderr.
#
# Usage: build-node-image.sh [--force]   (--force rebuilds the docker images;
#        cached binaries and rootfs are reused: delete $LG_CACHE/node-image
#        for a clean rebuild)
# Env:   K8S_VERSION (v1.37.2), KIND_VERSION (v0.33.0), CRICTL_VERSION
#        (v1.37.0), NODE_IMAGE (labgrade.local/kind-node:$K8S_VERSION),
#        SUITE (trixie), DEBIAN_MIRROR, LG_CACHE, MIN_FREE_GB (14),
#        RESTRICT_OOM_SCORE_ADJ (true; see node-assemble)
set -Eeuo pipefail
LG_SCRIPT=node-image
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
assets=$here/node-image

K8S_VERSION=${K8S_VERSION:-v1.37.2}
KIND_VERSION=${KIND_VERSION:-v0.33.0}
CRICTL_VERSION=${CRICTL_VERSION:-v1.37.0}
NODE_IMAGE=${NODE_IMAGE:-labgrade.local/kind-node:$K8S_VERSION}
CNI_IMAGE=labgrade.local/labgrade-cni:v1
SUITE=${SUITE:-trixie}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
MIN_FREE_GB=${MIN_FREE_GB:-14}
CACHE=$LG_CACHE/node-image
BIN=$CACHE/bin/$K8S_VERSION
FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) die "unknown argument '$1' (usage: build-node-image.sh [--force])" ;;
esac

export DOCKER_BUILDKIT=0 CGO_ENABLED=0 DEBIAN_FRONTEND=noninteractive
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
trap 'log "failed at line $LINENO in phase ${LG_PHASE:-preflight}: $BASH_COMMAND"' ERR

if [ "$FORCE" = 0 ] && docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
  log "node image $NODE_IMAGE exists; nothing to build (--force rebuilds)"
  echo "$NODE_IMAGE"
  exit 0
fi

# ---------------------------------------------------------------- preflight
[ "$(id -u)" = 0 ] || die "building the node image needs root (debootstrap); run as root or set LABGRADE_NODE_IMAGE to an image you have"
command -v go >/dev/null || die "the Go toolchain is not in PATH; it builds Kubernetes for the node image"
docker info >/dev/null 2>&1 || die "docker is not answering; run hack/docker-up.sh first"
apt_install debootstrap jq
mkdir -p "$CACHE"
if [ ! -f "$BIN/.kube-done" ]; then
  for d in "$CACHE" "$(go env GOCACHE)" "$(docker info -f '{{.DockerRootDir}}')"; do
    have=$(free_gb "$d")
    [ "$have" -ge "$MIN_FREE_GB" ] || die "disk too small for the node image build: $have GiB free under $d, need about $MIN_FREE_GB GiB (module cache, build cache, rootfs, images); free some space or set LABGRADE_NODE_IMAGE"
  done
fi
# one quick look-up tells "proxy unreachable" apart from a failing build
if ! probe=$(cd "$CACHE" && timeout 120 go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" 2>&1); then
  die "the Go module proxy ($(go env GOPROXY)) is not reachable: $(printf '%s' "$probe" | grep -m1 -iE 'error|dial|timeout' | cut -c1-200)"
fi
KIND_DIR=$(printf '%s' "$probe" | jq -r .Dir)

ver=${K8S_VERSION#v}; K8S_MAJOR=${ver%%.*}; rest=${ver#*.}; K8S_MINOR=${rest%%.*}; K8S_PATCH=${rest#*.}
mkdir -p "$BIN" "$CACHE/src"

# tmp_module DIR NAME: a throw-away module that only pins versions.
tmp_module() { mkdir -p "$1"; [ -f "$1/go.mod" ] || (cd "$1" && go mod init "$2" >/dev/null 2>&1); }

# --------------------------------------------------------------- kube-build
phase kube-build
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)
if [ -f "$BIN/.kube-done" ]; then
  phase_end cached
else
  d=$CACHE/src/kubernetes-$K8S_VERSION
  tmp_module "$d" labgrade.local/kubernetes
  cd "$d"
  # A main package cannot be imported, but a file behind a build tag that is
  # never set makes `go mod tidy` record all their dependencies.
  { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('
    for c in "${KUBE_CMDS[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
    echo ')'; } >tools.go
  go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
  # k8s.io/kubernetes replaces its staging modules (k8s.io/api, client-go, ...)
  # with local paths that do not exist in the module zip; replace them with
  # their published tags (v0.MINOR.PATCH) instead.
  kmod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod)
  staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$kmod" | sort -u)
  [ -n "$staging" ] || die "found no staging replaces in $kmod; the layout of k8s.io/kubernetes changed"
  for s in $staging; do go mod edit -replace="$s=$s@v0.$K8S_MINOR.$K8S_PATCH"; done
  log "go mod tidy"
  go mod tidy
  # kubeadm (driven by kind) reads the version linked into the binaries; an
  # unstamped build says v0.0.0-master and kubeadm will not deploy it.
  commit=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r '.Origin.Hash // ""')
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR"
    ldflags+=" -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT00:00:00Z)"
  done
  log "go build ${KUBE_CMDS[*]} (about 15 min on 2 cores with a cold Go build cache)"
  go build -trimpath -ldflags="$ldflags" -o "$BIN/" "${KUBE_CMDS[@]/#/k8s.io/kubernetes/cmd/}"
  touch "$BIN/.kube-done"
  phase_end
fi
got=$("$BIN/kubeadm" version -o short)
[ "$got" = "$K8S_VERSION" ] || die "kubeadm in $BIN reports '$got', not $K8S_VERSION; delete $BIN and run again"

# the images kubeadm will ask the node for, e.g. registry.k8s.io/etcd:3.7.0-0
mapfile -t KUBEADM_IMAGES < <("$BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION")
image_of() { printf '%s\n' "${KUBEADM_IMAGES[@]}" | grep -m1 -E "/$1:"; }
ETCD_IMAGE=$(image_of etcd); COREDNS_IMAGE=$(image_of coredns); PAUSE_IMAGE=$(image_of pause)
ETCD_VERSION=v${ETCD_IMAGE##*:}; ETCD_VERSION=${ETCD_VERSION%-*}
COREDNS_VERSION=${COREDNS_IMAGE##*:}

# ---------------------------------------------------------------- go-extras
phase go-extras
# build_tool NAME MODULE@VERSION PACKAGE [SRCDIR]: build into $BIN unless the
# stamp for that exact version is there.
build_tool() {
  local name=$1 modver=$2 pkg=$3 src=${4:-} d=$CACHE/src/$1
  local stamp=$BIN/.$name-${modver//\//_}
  if [ -x "$BIN/$name" ] && [ -f "$stamp" ]; then log "$name: cached"; return; fi
  if [ -n "$src" ]; then rm -rf "$d"; cp -r "$src" "$d"; chmod -R u+w "$d"; else tmp_module "$d" "labgrade.local/$name"; fi
  cd "$d"
  [ -n "$src" ] || printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
  [ -z "$modver" ] || go mod edit -require="$modver"
  go mod tidy
  log "go build $name ${modver:-(ours)}"
  go build -trimpath -ldflags="-s -w" -o "$BIN/$name" "$pkg"
  rm -f "$BIN/.$name-"*; touch "$stamp"
}
build_tool crictl "sigs.k8s.io/cri-tools@$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
build_tool coredns "github.com/coredns/coredns@$COREDNS_VERSION" github.com/coredns/coredns
build_tool etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION" . "$assets/etcd"
build_tool pause "" . "$assets/pause"
# our pause has no version of its own: rebuild when its source changes
[ "$assets/pause/main.go" -nt "$BIN/pause" ] && { rm -f "$BIN"/.pause-*; build_tool pause "" . "$assets/pause"; }
phase_end

# ------------------------------------------------------------------- rootfs
phase rootfs
# node: what kind's base image installs, with Debian's containerd, runc and
# CNI plugins (kind builds those from source). net: userland for kube-proxy
# and the CNI daemon.
NODE_PKGS=systemd,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,iproute2,conntrack,ethtool,util-linux,mount,kmod,libseccomp2,pigz,fuse-overlayfs,e2fsprogs,bash,ca-certificates,jq,procps,socat,iputils-ping,less,curl
NET_PKGS=iptables,nftables,conntrack,iproute2,jq,curl,ca-certificates
# make_rootfs NAME PACKAGES TAG: debootstrap into the cache, import to docker.
make_rootfs() {
  local name=$1 pkgs=$2 tag=$3 dir=$CACHE/rootfs/$1-$SUITE
  local want="$SUITE $DEBIAN_MIRROR $pkgs"
  mkdir -p "$CACHE/rootfs" "$CACHE/debs"
  if [ ! -d "$dir" ] || [ "$(cat "$dir.done" 2>/dev/null)" != "$want" ]; then
    rm -rf "$dir" "$dir.tmp"
    log "debootstrap $SUITE ($name)"
    debootstrap --variant=minbase --cache-dir="$CACHE/debs" --include="$pkgs" \
      "$SUITE" "$dir.tmp" "$DEBIAN_MIRROR" >"$CACHE/debootstrap-$name.log" 2>&1 \
      || die "debootstrap of the $name rootfs failed (Debian mirror $DEBIAN_MIRROR unreachable?); see $CACHE/debootstrap-$name.log"
    rm -rf "$dir.tmp"/usr/share/{doc,man,info,locale}/* "$dir.tmp"/var/cache/apt/archives/*.deb \
      "$dir.tmp"/var/lib/apt/lists/* "$dir.tmp"/var/log/*.log
    mv "$dir.tmp" "$dir"
    printf '%s' "$want" >"$dir.done"
  fi
  # the label ties the docker image to the rootfs it came from
  local stamp; stamp=$(stat -c %Y "$dir.done")
  if [ "$(docker image inspect -f '{{index .Config.Labels "labgrade.rootfs"}}' "$tag" 2>/dev/null)" != "$stamp" ]; then
    log "docker import $name rootfs -> $tag"
    tar -C "$dir" --numeric-owner -c . | docker import --change "LABEL labgrade.rootfs=$stamp" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$tag" >/dev/null
  fi
}
ROOTFS_NODE=labgrade.local/build/rootfs-node:$SUITE
ROOTFS_NET=labgrade.local/build/rootfs-net:$SUITE
make_rootfs node "$NODE_PKGS" "$ROOTFS_NODE"
make_rootfs net "$NET_PKGS" "$ROOTFS_NET"
phase_end

# --------------------------------------------------------- component-images
phase component-images
B=$CACHE/build; rm -rf "$B"; mkdir -p "$B"
# docker_build DIR TAG... [-- BUILD-ARG...]: legacy builder (Debian's dockerd
# has no buildx); its output goes to a log, shown only on failure.
docker_build() {
  local ctx=$1; shift; local args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=(-t "$1"); shift; done
  [ "${1:-}" = -- ] && { shift; for a in "$@"; do args+=(--build-arg "$a"); done; }
  docker build -q "${args[@]}" "$ctx" >"$ctx.log" 2>&1 || die "docker build in $ctx failed: $(tail -n 3 "$ctx.log" | tr '\n' ' ')"
}
# scratch_context NAME BINARY: a build context for one static binary FROM scratch.
scratch_context() {
  local ctx=$B/$1
  mkdir -p "$ctx/root/usr/local/bin" "$ctx/root/tmp"; chmod 1777 "$ctx/root/tmp"
  cp "$BIN/$2" "$ctx/root/usr/local/bin/"
  printf 'FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\nENTRYPOINT ["/usr/local/bin/%s"]\n' "$2" >"$ctx/Dockerfile"
}
for c in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  scratch_context "$c" "$c"
done
docker_build "$B/kube-apiserver" "registry.k8s.io/kube-apiserver:$K8S_VERSION"
docker_build "$B/kube-controller-manager" "registry.k8s.io/kube-controller-manager:$K8S_VERSION"
docker_build "$B/kube-scheduler" "registry.k8s.io/kube-scheduler:$K8S_VERSION"
docker_build "$B/etcd" "$ETCD_IMAGE"
# kubeadm's CoreDNS Deployment passes only args, so the entrypoint is ours;
# CoreDNS wants CA certificates for upstream TLS.
scratch_context coredns coredns
mkdir -p "$B/coredns/root/etc/ssl/certs"
cp "$CACHE/rootfs/net-$SUITE/etc/ssl/certs/ca-certificates.crt" "$B/coredns/root/etc/ssl/certs/"
docker_build "$B/coredns" "$COREDNS_IMAGE"
# pause: kubeadm's tag, and 3.10, which kind's containerd config names
scratch_context pause pause
docker_build "$B/pause" "$PAUSE_IMAGE" registry.k8s.io/pause:3.10
ctx=$B/kube-proxy; mkdir -p "$ctx/root/usr/local/bin" "$ctx/root/usr/sbin"
cp "$BIN/kube-proxy" "$ctx/root/usr/local/bin/"
install -m 0755 "$assets/kube-proxy/iptables-wrapper" "$ctx/root/usr/sbin/"
cp "$assets/kube-proxy/Dockerfile" "$ctx/"
docker_build "$ctx" "registry.k8s.io/kube-proxy:$K8S_VERSION" -- "ROOTFS=$ROOTFS_NET"
ctx=$B/cni; mkdir -p "$ctx/root/usr/local/bin"
install -m 0755 "$assets/cni/labgrade-cni" "$ctx/root/usr/local/bin/"
cp "$assets/cni/Dockerfile" "$ctx/"
docker_build "$ctx" "$CNI_IMAGE" -- "ROOTFS=$ROOTFS_NET"
ALL_IMAGES=("${KUBEADM_IMAGES[@]}" registry.k8s.io/pause:3.10 "$CNI_IMAGE")
docker save -o "$B/images.tar" "${ALL_IMAGES[@]}"
phase_end "${#ALL_IMAGES[@]} images"

# ------------------------------------------------------------ node-assemble
phase node-assemble
[ -d "$KIND_DIR/images/base/files" ] || die "kind $KIND_VERSION module has no images/base/files ($KIND_DIR)"
ctx=$B/node; mkdir -p "$ctx/root"
# kind's own base-image files (entrypoint, systemd units, kubelet drop-ins,
# containerd config), taken unchanged from the kind module
cp -r "$KIND_DIR/images/base/files/." "$ctx/root/"
chmod -R u+w "$ctx/root"
mkdir -p "$ctx/root/usr/bin" "$ctx/root/usr/local/bin" "$ctx/root/kind/manifests" "$ctx/root/etc/kubernetes/manifests"
for c in kubeadm kubelet kubectl; do cp "$BIN/$c" "$ctx/root/usr/bin/"; done
cp "$BIN/crictl" "$ctx/root/usr/local/bin/"
printf '%s' "$K8S_VERSION" >"$ctx/root/kind/version"
sed "s#__CNI_IMAGE__#$CNI_IMAGE#" "$assets/manifests/default-cni.yaml" >"$ctx/root/kind/manifests/default-cni.yaml"
cp "$assets/manifests/default-storage.yaml" "$ctx/root/kind/manifests/"
# Modes are set here rather than in a RUN step: a RUN chmod would copy every
# binary into a new layer (+257 MB). Module-cache files arrive read-only.
find "$ctx/root" -type d -exec chmod 0755 {} +
find "$ctx/root" -type f -exec chmod 0644 {} +
chmod 0755 "$ctx/root"/usr/local/bin/* "$ctx/root"/kind/bin/* "$ctx/root"/usr/bin/*
toml=$ctx/root/etc/containerd/config.toml
sed -i "s#sandbox_image = .*#sandbox_image = \"$PAUSE_IMAGE\"#" "$toml"
# Without CAP_SYS_RESOURCE a process may only raise its oom_score_adj; kubelet
# asks for -998 for sandboxes and critical pods, runc's nsexec then fails and
# every pod dies with "can't get final child's PID from pipe: EOF".
# restrict_oom_score_adj makes containerd clamp the value to its own (kind
# sets the same switch for rootless nodes). Harmless on other hosts.
if [ "${RESTRICT_OOM_SCORE_ADJ:-true}" = true ]; then
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$toml"
  grep -q 'restrict_oom_score_adj = true' "$toml" || die "could not set restrict_oom_score_adj in kind's containerd config ($KIND_VERSION changed it?)"
fi
cp "$assets/node.Dockerfile" "$ctx/Dockerfile"
STAGE=labgrade.local/build/node-stage:$K8S_VERSION
docker_build "$ctx" "$STAGE" -- "ROOTFS=$ROOTFS_NODE"
phase_end

# ------------------------------------------------------------- image-import
phase image-import
# A container of the stage image runs containerd just long enough to import
# the images with kind's own flags (pinned, so kubelet GC keeps them).
bc=labgrade-node-build-$$
trap 'docker rm -f -v "$bc" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$bc" --entrypoint sleep --security-opt seccomp=unconfined "$STAGE" infinity >/dev/null
docker exec "$bc" bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 & echo $! >/run/containerd-build.pid'
for _ in $(seq 1 30); do docker exec "$bc" ctr version >/dev/null 2>&1 && break; sleep 1; done
docker exec "$bc" ctr version >/dev/null 2>&1 || die "containerd did not start inside the build container"
docker exec -i "$bc" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
  --all-platforms --no-unpack --digests - <"$B/images.tar" >/dev/null
have=$(docker exec "$bc" ctr --namespace=k8s.io images list -q)
for want in "${ALL_IMAGES[@]}"; do
  grep -qxF "$want" <<<"$have" || die "image $want is missing from the node's containerd after import"
done
docker exec "$bc" bash -c 'kill $(cat /run/containerd-build.pid); for i in $(seq 1 20); do kill -0 $(cat /run/containerd-build.pid) 2>/dev/null || break; sleep 0.5; done; rm -rf /run/containerd /run/containerd-build.pid /var/log/containerd-build.log /tmp/*'
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
  --change "LABEL dev.labgrade.offline=true dev.labgrade.kubernetes=$K8S_VERSION" \
  "$bc" "$NODE_IMAGE" >/dev/null
docker rm -f -v "$bc" >/dev/null
rm -rf "$B"   # the contexts hold copies of every binary (~700 MB)
phase_end

log "built $NODE_IMAGE ($(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$NODE_IMAGE"
