#!/usr/bin/env bash
# bench-run.sh: one cold grading of k8s-serving, labgrade against a
# hand-written kind+kubectl+bash grader (baseline-k8s-serving.sh), side by
# side and alternating (labgrade first in odd rounds, the baseline first in
# even ones, so that neither always runs on a warmer host). Both start from
# no cluster and grade the solution; each prints its score. It prints every
# round's wall times, the medians and the ratio labgrade / baseline.
#
#   hack/bench/bench-run.sh            ROUNDS=4 hack/bench/bench-run.sh
#
# Needs Docker and a node image (make e2e-env; LABGRADE_NODE_IMAGE). Takes
# the kind lock (/tmp/labgrade-kind.lock) for the whole run: nothing else
# should grade meanwhile. About 4 minutes a round on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
LG_SCRIPT=bench-run
. hack/lib.sh

rounds=${ROUNDS:-2}
lock=/tmp/labgrade-kind.lock
command -v flock >/dev/null || die "no flock: apt-get install util-linux"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/labgrade" ./cmd/labgrade
exec 9>"$lock"
flock 9

# timed NAME CMD...: appends CMD's wall time in seconds to $dir/NAME.secs
timed() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >"$dir/out" 2>"$dir/err" || die "$name: exit $?: $(tail -3 "$dir/err")"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >>"$dir/$name.secs"
}
# each must give the solution its full score, or the times compare nothing
run_labgrade() {
  timed labgrade "$dir/labgrade" run k8s-serving --submission labs/k8s-serving/solution -o json
  jq -e '.score == .maxScore' "$dir/out" >/dev/null || die "labgrade did not give the solution a full score: $(jq -c '{score, maxScore}' "$dir/out")"
  log "labgrade run: $(tail -1 "$dir/labgrade.secs")s, $(jq -r '"\(.score)/\(.maxScore)"' "$dir/out")"
}
run_baseline() {
  timed baseline hack/bench/baseline-k8s-serving.sh
  grep -q ': 170/170 ' "$dir/out" || die "the baseline did not give the solution 170/170: $(cat "$dir/out")"
  log "baseline: $(tail -1 "$dir/baseline.secs")s, $(tail -1 "$dir/out")"
}

for r in $(seq "$rounds"); do
  phase "round-$r"
  if [ $((r % 2)) = 1 ]; then run_labgrade; run_baseline; else run_baseline; run_labgrade; fi
  phase_end
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
l=$(median "$dir/labgrade.secs") b=$(median "$dir/baseline.secs")
printf '\nbench-run: cold k8s-serving grading of the solution, %d rounds, %s CPUs, load average %s\n' "$rounds" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  labgrade run        %s   median %6.1f s\n' "$(paste -sd' ' "$dir/labgrade.secs")" "$l"
printf '  bash+kubectl        %s   median %6.1f s\n' "$(paste -sd' ' "$dir/baseline.secs")" "$b"
printf '  labgrade / bash     %6.2f x\n' "$(awk -v l="$l" -v b="$b" 'BEGIN { print l / b }')"
