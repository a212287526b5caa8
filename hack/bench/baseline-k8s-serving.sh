#!/usr/bin/env bash
# baseline-k8s-serving.sh: what grading k8s-serving costs without labgrade.
# A hand-written grader of the kind course staff write with kind, kubectl,
# jq and bash: it makes a kind cluster configured as the lab's (kube-proxy's
# 3 s minSyncPeriod), builds and loads the lab's five images, applies the
# scenario and the submission, and runs the lab's 20 checks one after
# another, the way such scripts do: kubectl get + jq for the static ones,
# the API server's service proxy for predictions, a load generator pod for
# the drift phases and the rollouts. It prints each check's verdict, the
# score out of 170 and the time each phase took; `hack/bench/bench-run.sh`
# times it against `labgrade run` side by side.
#
# It is a baseline, not a second grader: it believes what a bash script
# believes (the monitor's /status as the monitor says it, any
# PodDisruptionBudget named in the submission), which is what labgrade's
# checks do not.
#
#   hack/bench/baseline-k8s-serving.sh [SUBMISSION_DIR]   (default: the solution)
#
# Needs Docker and a node image (make e2e-env; LABGRADE_NODE_IMAGE, else
# kind's default). kind is built from the Go module cache, kubectl copied
# out of the node image. Deletes its cluster (labgrade-baseline) at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
LG_SCRIPT=baseline
. hack/lib.sh

sub=${1:-labs/k8s-serving/solution}
[ -d "$sub" ] || die "no submission directory $sub"
lab=labs/k8s-serving
ns=ml-serving
name=labgrade-baseline
image=${LABGRADE_NODE_IMAGE:-}
command -v jq >/dev/null || apt_install jq

dir=$(mktemp -d)
trap '"$dir/kind" delete cluster --name "$name" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# the tools, before the clock starts: a real grader has them installed
go build -o "$dir/kind" sigs.k8s.io/kind
if [ -n "$image" ]; then # the node's own kubectl, of the cluster's version
  id=$(docker create "$image") || die "no node image $image: run make e2e-env"
  docker cp -q "$id:/usr/bin/kubectl" "$dir/kubectl" && docker rm "$id" >/dev/null
else
  command -v kubectl >/dev/null || die "no kubectl on PATH (or set LABGRADE_NODE_IMAGE to take the node image's)"
  ln -s "$(command -v kubectl)" "$dir/kubectl"
fi
t0=$(date +%s.%N)
k() { "$dir/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
kn() { k -n "$ns" "$@"; }

score=0 total=0
# check ID POINTS CMD...: the check passes when CMD exits 0
check() {
  local id=$1 pts=$2 t
  shift 2
  t=$(date +%s.%N)
  total=$((total + pts))
  if "$@" >"$dir/check.out" 2>&1; then
    score=$((score + pts)); printf '  pass %-26s %5ss\n' "$id" "$(secs "$t")"
  else
    printf '  FAIL %-26s %5ss  %s\n' "$id" "$(secs "$t")" "$(tail -1 "$dir/check.out")"
  fi
}

phase cluster
cat >"$dir/kind.yaml" <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
kubeadmConfigPatches:
- |
  kind: KubeProxyConfiguration
  apiVersion: kubeproxy.config.k8s.io/v1alpha1
  iptables:
    minSyncPeriod: 3s
EOF
if [ "$(docker info -f '{{.CgroupVersion}}')" = 1 ]; then # as labgrade does on such a host
  cat >>"$dir/kind.yaml" <<'EOF'
- |
  kind: KubeletConfiguration
  apiVersion: kubelet.config.k8s.io/v1beta1
  failCgroupV1: false
EOF
fi
"$dir/kind" create cluster --name "$name" --config "$dir/kind.yaml" --kubeconfig "$dir/kubeconfig" \
  ${image:+--image "$image"} --wait 120s >"$dir/kind.log" 2>&1 || die "kind create cluster failed: $(grep -m1 ERROR "$dir/kind.log")"
phase_end

phase images
build() { # build REF DIR [VERSION]
  local ctx="$dir/img-${1//[:\/]/-}"
  mkdir -p "$ctx" && cp -r "$2"/. "$ctx"/
  CGO_ENABLED=0 go build -trimpath ${3:+-ldflags "-X main.version=$3"} -o "$ctx/app" "./$2"
  docker build -q -t "$1" "$ctx" >/dev/null 2>"$ctx.log" || die "docker build $1: $(tail -3 "$ctx.log")"
}
build labgrade.local/model-server:1.0 fixtures/images/model-server
build labgrade.local/model-server:1.1 fixtures/images/model-server 1.1
build labgrade.local/model-server:broken fixtures/images/model-server broken
build labgrade.local/loadgen:1.0 fixtures/images/loadgen
build labgrade.local/drift-monitor:1.0 fixtures/images/drift-monitor
"$dir/kind" load docker-image --name "$name" labgrade.local/model-server:1.0 labgrade.local/model-server:1.1 \
  labgrade.local/model-server:broken labgrade.local/loadgen:1.0 labgrade.local/drift-monitor:1.0 >/dev/null 2>&1
phase_end

phase apply
k create namespace "$ns" >/dev/null
kn apply -f "$lab/scenario/" >/dev/null
kn apply -f "$sub/" >/dev/null
kn rollout status deploy/model-server --timeout=60s >/dev/null 2>&1 || true
kn rollout status deploy/drift-monitor --timeout=60s >/dev/null 2>&1 || true
phase_end

phase checks
deploy() { kn get deploy model-server -o json | jq -e "$1" >/dev/null; }
check deploy-ready 10 deploy '.spec.replicas >= 2 and (.status.readyReplicas // 0) >= 2'
check deploy-pinned-image 10 deploy '[.spec.template.spec.containers[].image | select(startswith("labgrade.local/model-server:") and (endswith(":latest") | not))] | length > 0'
check deploy-readiness-probe 10 deploy 'all(.spec.template.spec.containers[]; .readinessProbe != null)'
check deploy-liveness-probe 10 deploy 'all(.spec.template.spec.containers[]; .livenessProbe != null)'
check deploy-resources 10 deploy 'all(.spec.template.spec.containers[]; .resources.requests.cpu and .resources.requests.memory and .resources.limits.cpu and .resources.limits.memory)'
check deploy-rolling-update 10 deploy '.spec.strategy.type == "RollingUpdate" and .spec.strategy.rollingUpdate.maxUnavailable == 0 and .spec.strategy.rollingUpdate.maxSurge != 0 and .spec.strategy.rollingUpdate.maxSurge != "0%"'
check deploy-min-ready 5 deploy '(.spec.minReadySeconds // 0) >= 1'
check deploy-progress-deadline 5 deploy '.spec.progressDeadlineSeconds <= 60'
check pdb 5 bash -c "'$dir/kubectl' --kubeconfig '$dir/kubeconfig' -n $ns get pdb -o json | jq -e 'any(.items[]; .status.expectedPods >= 2 and .status.disruptionsAllowed >= 1)'"
check service 10 bash -c "'$dir/kubectl' --kubeconfig '$dir/kubeconfig' -n $ns get svc model-server -o json | jq -e 'any(.spec.ports[]; .port == 80)'"
check no-latest-pods 5 bash -c "! '$dir/kubectl' --kubeconfig '$dir/kubeconfig' -n $ns get pods -o json | jq -e 'any(.items[].spec.containers[].image; endswith(\":latest\") or ((split(\"/\") | last) | contains(\":\") | not))'"

# POST through the API server's service proxy, as `kubectl create --raw` does
predict() { # predict BODY: prints the answer (kubectl's own error on a non-2xx)
  printf '%s' "$1" >"$dir/body.json"
  k create --raw "/api/v1/namespaces/$ns/services/model-server:80/proxy/predict" -f "$dir/body.json"
}
good='{"instances": [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871], [13.54, 14.36, 87.46, 566.3, 0.09779, 0.08129, 0.06664, 0.04781, 0.1885, 0.05766]]}'
predicts() {
  local i out
  for i in $(seq 45); do
    out=$(predict "$good" 2>/dev/null) && break
    sleep 1
  done
  jq -e '.model == "breast-cancer-logreg" and (.predictions | length) == 2 and .predictions[0].label == "malignant" and .predictions[1].label == "benign"' <<<"$out"
}
check predict 10 predicts
rejects() { ! predict '{"instances": [[1, 2]]}' 2>"$dir/err" && grep -q "the model takes 10\|400\|BadRequest" "$dir/err"; }
check predict-rejects-bad-input 5 rejects
check inference-logging 5 deploy 'any(.spec.template.spec.containers[]; any(.env[]?; .name == "INFERENCE_LOG_URL" and ((.value // "") | endswith("/ingest"))))'
check drift-monitor-ready 5 bash -c "'$dir/kubectl' --kubeconfig '$dir/kubeconfig' -n $ns get deploy drift-monitor -o json | jq -e '(.status.readyReplicas // 0) >= 1'"

monitor_pod() { kn get pods -l "$(kn get deploy drift-monitor -o json | jq -r '.spec.selector.matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")')" \
  --field-selector status.phase=Running -o jsonpath='{.items[0].metadata.name}'; }
status() { k get --raw "/api/v1/namespaces/$ns/pods/$(monitor_pod):8080/proxy/status"; }
monitor_config() {
  local s
  s=$(status) || return 1
  jq -e '(.features | map(.name) | unique | length) == 10 and .minSamples >= 200 and (.configError // "") == ""' <<<"$s"
}
check drift-monitor-config 10 monitor_config
rbac() {
  k auth can-i create events -n "$ns" --as "system:serviceaccount:$ns:drift-monitor" >/dev/null &&
    ! k auth can-i list secrets -n "$ns" --as "system:serviceaccount:$ns:drift-monitor" >/dev/null &&
    ! k auth can-i get secrets -n "$ns" --as "system:serviceaccount:$ns:drift-monitor" >/dev/null
}
check drift-monitor-rbac 5 rbac

# loadgen NAME RATE ARGS...: a load generator pod against the Service
loadgen() {
  local n=$1 rate=$2
  shift 2
  k run "$n" -n "$ns" --image labgrade.local/loadgen:1.0 --image-pull-policy IfNotPresent --restart Never \
    -- -target "http://model-server.$ns.svc:80/predict" -rate "$rate" "$@" >/dev/null
  k wait -n "$ns" --for=condition=Ready "pod/$n" --timeout=60s >/dev/null
}
summary() { k get --raw "/api/v1/namespaces/$ns/pods/$1:8081/proxy/summary"; }
# drift: reference traffic until the monitor has a full window and flags
# nothing, then drifted traffic until it flags exactly the two drifted
# features, and an Event says so
drifts() {
  local i s
  loadgen lg-ref 100
  for i in $(seq 90); do
    s=$(status) && jq -e '.samples >= .minSamples and .evaluatedAt != null' <<<"$s" >/dev/null && break
    sleep 0.5
  done
  k delete pod -n "$ns" lg-ref --grace-period 0 >/dev/null 2>&1
  jq -e '[.features[] | select(.drift)] | length == 0' <<<"$s" || return 1
  loadgen lg-drift 100 -shift mean_radius=4 -scale mean_texture=1.5
  for i in $(seq 90); do
    s=$(status) && jq -e '[.features[] | select(.drift) | .name] | unique == ["mean_radius", "mean_texture"]' <<<"$s" >/dev/null && break
    sleep 0.5
  done
  k delete pod -n "$ns" lg-drift --grace-period 0 >/dev/null 2>&1
  jq -e '[.features[] | select(.drift) | .name] | unique == ["mean_radius", "mean_texture"]' <<<"$s" &&
    kn get events -o json | jq -e 'any(.items[]; .reason == "DataDrift")'
}
check drift-detects 15 drifts

# under_change POD RATE IMAGE WAIT...: steady traffic from a load generator
# POD, the new IMAGE, WAIT until the Deployment got where it should, and not
# one failed request from the change on (failures before it are the last
# check's pods leaving the endpoints, not this one's)
under_change() {
  local pod=$1 rate=$2 img=$3 s before
  shift 3
  loadgen "$pod" "$rate"
  sleep 2
  before=$(summary "$pod" | jq .failed)
  kn set image deploy/model-server "*=$img" >/dev/null
  "$@" >/dev/null
  s=$(summary "$pod")
  k delete pod -n "$ns" "$pod" --grace-period 0 >/dev/null 2>&1
  jq -e --argjson before "$before" '.ok > 0 and .failed == $before' <<<"$s"
}
# the new version rolls out
rollout() { under_change lg-rollout 100 labgrade.local/model-server:1.1 kn rollout status deploy/model-server --timeout=90s; }
check rollout-under-traffic 15 rollout
# a version that never gets ready: the Deployment reports the deadline and
# the old pods keep answering
halts() {
  under_change lg-halt 20 labgrade.local/model-server:broken kn wait deploy/model-server \
    --for=jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}'=ProgressDeadlineExceeded --timeout=90s
}
check rollout-halts 10 halts
phase_end

printf 'baseline k8s-serving: %d/%d in %ss\n' "$score" "$total" "$(secs "$t0")"
