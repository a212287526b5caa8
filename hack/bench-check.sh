#!/usr/bin/env bash
# bench-check.sh: the learner's quick loop against plain kubectl. On a live
# labgrade-k8s-serving cluster with the lab's solution applied (labgrade up
# k8s-serving, then kubectl apply -f labs/k8s-serving/solution), it times N
# warm runs (default 10, after one warm-up each) of
#
#   labgrade check k8s-serving --quick
#   kubectl get deployments,poddisruptionbudgets,services,pods,configmaps -n ml-serving -o json
#
# (the kubectl reads every object the quick checks read, in one call) and
# prints both medians and their ratio.
#
# kubectl is the one on PATH, run on the host with labgrade's kubeconfig of
# the cluster, so both go the same way to the API server. Without one on
# PATH, the kind node's own kubectl is copied out of the node (docker cp)
# and run the same way; a `docker exec` into the node would add the exec's
# own cost to kubectl's time.
#
#   hack/bench-check.sh          N=20 hack/bench-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LG_SCRIPT=bench-check
. hack/lib.sh

N=${N:-10}
cluster=labgrade-k8s-serving
node=$cluster-control-plane
kubeconfig=${XDG_CONFIG_HOME:-$HOME/.config}/labgrade/kube/$cluster.kubeconfig
ns=ml-serving

docker inspect "$node" >/dev/null 2>&1 ||
  die "no kind cluster $cluster: start one with 'go run ./cmd/labgrade up k8s-serving' and apply labs/k8s-serving/solution"
[ -f "$kubeconfig" ] || die "no kubeconfig $kubeconfig: run 'go run ./cmd/labgrade up k8s-serving' again to write it"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/labgrade" ./cmd/labgrade
if kubectl=$(command -v kubectl); then
  kubectl_from="$kubectl (on PATH)"
else
  docker cp "$node:/usr/bin/kubectl" "$dir/kubectl" >/dev/null
  kubectl=$dir/kubectl
  kubectl_from="the kind node's /usr/bin/kubectl, copied out with docker cp"
fi

lg() { "$dir/labgrade" check k8s-serving --labs-dir labs --quick >"$dir/out" 2>&1; }
kc() { "$kubectl" --kubeconfig "$kubeconfig" get deployments,poddisruptionbudgets,services,pods,configmaps -n "$ns" -o json >/dev/null; }

# warm-up, and the precondition: every quick check passes (exit 3: partial,
# nothing that ran rules a pass out) on the solution
code=0
lg || code=$?
[ "$code" -eq 3 ] || die "labgrade check --quick exited $code, not 3 (partial, every quick check passed): is labs/k8s-serving/solution applied and ready? Output: $(tail -n 5 "$dir/out" | tr '\n' ' ')"
kc || die "kubectl get failed with $kubeconfig"

# ms CMD: wall milliseconds of one run
ms() { local t0 t1; t0=$(date +%s%N); "$@" || true; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

log "$N runs each, alternating; kubectl: $kubectl_from"
for _ in $(seq "$N"); do
  ms lg >>"$dir/lg.ms"
  ms kc >>"$dir/kc.ms"
done
lgm=$(median <"$dir/lg.ms")
kcm=$(median <"$dir/kc.ms")
printf '%-40s %10s\n' "warm run (median of $N)" "wall (ms)"
printf '%-40s %10s\n' "labgrade check k8s-serving --quick" "$lgm"
printf '%-40s %10s\n' "kubectl get (same objects)" "$kcm"
awk -v a="$lgm" -v b="$kcm" 'BEGIN {printf "%-40s %9.2fx\n", "labgrade / kubectl", a / b}'
