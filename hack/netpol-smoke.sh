#!/usr/bin/env bash
# netpol-smoke.sh: proves on a real (offline) kind cluster that
# fixtures/images/netpol enforces NetworkPolicy. It
#   1. creates a throwaway cluster with labgrade itself (labgrade up
#      k8s-serving: cluster labgrade-k8s-serving, lab images loaded),
#   2. builds labgrade.local/netpol:1.0, loads it into the node, applies
#      fixtures/images/netpol/install.yaml,
#   3. runs a model server (np-server/web, port 8080 named "http") and two
#      client pods (np-client/gateway labelled role=gateway, np-client/other
#      unlabelled) running `netpol pause`, and probes from the clients with
#      `kubectl exec CLIENT -- /netpol probe ...` through a series of
#      policies, each step stating what must answer and what must time out,
#   4. deletes the cluster (labgrade down k8s-serving), also on failure.
# Holds /tmp/labgrade-kind.lock for the whole run, as the e2e tests do.
# Refuses to start if labgrade-k8s-serving already exists: it is not ours.
#
#   hack/netpol-smoke.sh            KEEP=1 hack/netpol-smoke.sh (no teardown)
set -euo pipefail
cd "$(dirname "$0")/.."
LG_SCRIPT=netpol-smoke
. hack/lib.sh

if [ -z "${NETPOL_SMOKE_LOCKED:-}" ]; then
  log "waiting for /tmp/labgrade-kind.lock"
  exec env NETPOL_SMOKE_LOCKED=1 flock /tmp/labgrade-kind.lock "$0" "$@"
fi

cluster=labgrade-k8s-serving
node=$cluster-control-plane
image=labgrade.local/netpol:1.0
export LABGRADE_NODE_IMAGE=${LABGRADE_NODE_IMAGE:-$(docker images --format '{{.Repository}}:{{.Tag}}' 'labgrade.local/kind-node' | sort -V | tail -1)}
[ -n "$LABGRADE_NODE_IMAGE" ] || die "no labgrade.local/kind-node image: run make e2e-env first"
docker inspect "$node" >/dev/null 2>&1 &&
  die "cluster $cluster already exists; it is not this script's: delete it (go run ./cmd/labgrade down k8s-serving) or wait"

dir=$(mktemp -d)
created=
cleanup() {
  code=$?
  if [ -n "$created" ] && [ -z "${KEEP:-}" ]; then
    phase teardown
    go run ./cmd/labgrade down k8s-serving --labs-dir labs >&2 || true
    phase_end
  fi
  rm -rf "$dir"
  exit $code
}
trap cleanup EXIT

k() { docker exec -i "$node" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }

phase build
go build -o "$dir/labgrade" ./cmd/labgrade
CGO_ENABLED=0 go build -o "$dir/app" ./fixtures/images/netpol
cp fixtures/images/netpol/Dockerfile "$dir/"
docker build -q -t "$image" "$dir" >/dev/null
phase_end "$image"

phase cluster
created=1
"$dir/labgrade" up k8s-serving --labs-dir labs >&2
phase_end "node image $LABGRADE_NODE_IMAGE"

phase install
docker save "$image" | docker exec -i "$node" ctr -n k8s.io images import - >/dev/null
k apply -f - <fixtures/images/netpol/install.yaml >&2
k -n kube-system rollout status ds/labgrade-netpol --timeout=90s >&2
phase_end

phase workloads
k apply -f - >&2 <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: np-server}
---
apiVersion: v1
kind: Namespace
metadata: {name: np-client}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: np-server, labels: {app: web}}
spec:
  containers:
  - name: server
    image: labgrade.local/model-server:1.0
    imagePullPolicy: IfNotPresent
    env: [{name: WARMUP, value: "0s"}]
    ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: np-server}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: gateway, namespace: np-client, labels: {role: gateway}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: probe, image: "labgrade.local/netpol:1.0", imagePullPolicy: IfNotPresent, args: [pause],
     securityContext: {runAsUser: 65532, runAsNonRoot: true}}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: np-client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: probe, image: "labgrade.local/netpol:1.0", imagePullPolicy: IfNotPresent, args: [pause],
     securityContext: {runAsUser: 65532, runAsNonRoot: true}}
YAML
k wait --for=condition=Ready --timeout=120s -n np-server pod/web >&2
k wait --for=condition=Ready --timeout=120s -n np-client pod/gateway pod/other >&2
web=$(k -n np-server get pod web -o jsonpath='{.status.podIP}')
gw=$(k -n np-client get pod gateway -o jsonpath='{.status.podIP}')
other=$(k -n np-client get pod other -o jsonpath='{.status.podIP}')
phase_end "web=$web gateway=$gw other=$other"

# expect WANT CLIENT PROBE-ARGS...: WANT is "reach" (exit 0) or "timeout"
# (exit 1 with a timeout, not a refusal: denied packets are dropped). A new
# policy takes effect within moments, so each expectation is retried for up
# to 20 s; the attempts are printed.
checks=0
expect() {
  local want=$1 client=$2 out code try
  shift 2
  for try in $(seq 10); do
    code=0
    # kubectl's own "command terminated with exit code 1" is left out
    out=$(k -n np-client exec "$client" -- /netpol probe -timeout 2s "$@" 2>&1) || code=$?
    out=$(grep -v '^command terminated with exit code' <<<"$out" || true)
    case "$want:$code" in
      reach:0) break ;;
      timeout:1) [[ $out == *timeout* || $out == *deadline* ]] && break ;;
    esac
    sleep 1
  done
  case "$want:$code" in
    reach:0 | timeout:1) ;;
    *) die "from $client, probe $*: want $want, got exit $code: $out" ;;
  esac
  checks=$((checks + 1))
  printf '  ok  %-8s %-7s probe %-48s -> %s (attempt %d)\n' "$client" "$want" "$*" "$out" "$try"
}
policy() { # NAME: apply the policy YAML on stdin
  printf '%s\n' "-- $1"
  k apply -f - >&2
}

web_http=(-connect "$web:8080" -http /healthz)

echo "== no policy: everything answers"
expect reach gateway "${web_http[@]}"
expect reach other "${web_http[@]}"
expect reach gateway -resolve web.np-server.svc.cluster.local

echo "== default deny ingress in np-server: connections to web time out"
policy default-deny <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: np-server}
spec:
  podSelector: {}
  policyTypes: [Ingress]
YAML
expect timeout gateway "${web_http[@]}"
expect timeout other "${web_http[@]}"

echo "== allow role=gateway pods of np-client on the named port http"
policy allow-gateway <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-gateway, namespace: np-server}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: np-client}}
      podSelector: {matchLabels: {role: gateway}}
    ports: [{port: http}]
YAML
expect reach gateway "${web_http[@]}"
expect timeout other "${web_http[@]}"
expect reach gateway -connect web.np-server:80 -http /healthz

echo "== egress deny for role=gateway in np-client: its DNS and its connections time out"
policy egress-deny <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-deny, namespace: np-client}
spec:
  podSelector: {matchLabels: {role: gateway}}
  policyTypes: [Egress]
YAML
expect timeout gateway "${web_http[@]}"
expect timeout gateway -resolve web.np-server.svc.cluster.local
expect reach other -resolve web.np-server.svc.cluster.local

echo "== egress: DNS to kube-dns allowed, web still not"
policy allow-dns <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: np-client}
spec:
  podSelector: {matchLabels: {role: gateway}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
YAML
expect reach gateway -resolve web.np-server.svc.cluster.local
expect timeout gateway "${web_http[@]}"

echo "== egress: also to np-server pods on 8080 (union with allow-dns): through the Service by name"
policy allow-web-egress <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web-egress, namespace: np-client}
spec:
  podSelector: {matchLabels: {role: gateway}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: np-server}}
    ports: [{protocol: TCP, port: 8080}]
YAML
expect reach gateway -connect web.np-server:80 -http /healthz
expect timeout other "${web_http[@]}"
echo "-- the node's table now (web's ingress chain admits gateway on 8080; gateway's egress chain: DNS and web)"
docker exec "$node" nft list table inet labgrade-netpol | sed 's/^/   /'

echo "== ipBlock: np-server admits the pod range except gateway's address"
cidr=$(k get node "$node" -o jsonpath='{.spec.podCIDR}')
k -n np-server delete networkpolicy allow-gateway >&2
policy allow-range-but-gateway <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-range, namespace: np-server}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: "$cidr", except: ["$gw/32"]}}]
YAML
expect reach other "${web_http[@]}"
expect timeout gateway "${web_http[@]}"

echo "== policies deleted: everything answers again"
k -n np-server delete networkpolicy --all >&2
k -n np-client delete networkpolicy --all >&2
expect reach gateway "${web_http[@]}"
expect reach other "${web_http[@]}"

echo "== the enforcer's log (last lines) and its table with no policy left"
k -n kube-system logs ds/labgrade-netpol --tail=6
docker exec "$node" nft list table inet labgrade-netpol

echo "== enforcer uninstalled: it removes its table on SIGTERM, leaving no stale rule"
k delete -f - <fixtures/images/netpol/install.yaml >&2
k -n kube-system wait --for=delete pod -l k8s-app=labgrade-netpol --timeout=60s >&2
if docker exec "$node" nft list table inet labgrade-netpol >/dev/null 2>&1; then
  die "table inet labgrade-netpol is still on the node after the enforcer stopped"
fi
checks=$((checks + 1))
echo "  ok  no table inet labgrade-netpol on $node"
echo "PASS: $checks expectations met"
