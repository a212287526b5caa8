#!/usr/bin/env bash
# bench-batch.sh: what grading a class in one batch buys. The k8s-serving
# solution and each of its broken variants are a class of submissions whose
# verdicts are known; in one run of this script, on one warm kind cluster,
# they are graded
#
#   (a) one at a time:             labgrade batch ... --parallel 1
#   (b) with the default parallel: labgrade batch ...
#
# and it prints both wall times, the speedup (a)/(b), the sum of the
# per-submission durations, labgrade's peak RSS (its VmHWM), whether
# (a) and (b) gave the same verdicts, and a cold single `labgrade run` of the
# solution measured first, with (N x cold run) / (b): what N separate runs
# would have cost.
#
# It needs Docker and a node image (make e2e-env; LABGRADE_NODE_IMAGE), and
# takes the kind lock (/tmp/labgrade-kind.lock) while it creates clusters.
# On 2 cores it takes about half an hour; nothing else should grade meanwhile.
#
# ARGS are more flags for every run and batch: ARGS=--quick measures the
# quick checks only (no traffic phases or rollouts), in minutes.
#
#   hack/bench/bench-batch.sh          LAB=k8s-serving ARGS=--quick hack/bench/bench-batch.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
LG_SCRIPT=bench-batch
. hack/lib.sh

lab=${LAB:-k8s-serving}
read -r -a args <<<"${ARGS:-}"
lock=/tmp/labgrade-kind.lock
[ -x /usr/bin/time ] || die "no /usr/bin/time (GNU time): apt-get install time"
command -v flock >/dev/null || die "no flock: apt-get install util-linux"

dir=$(mktemp -d)
go build -o "$dir/labgrade" ./cmd/labgrade
lg=$dir/labgrade

# The lab under another name, so that its kind cluster (labgrade-NAME) is
# the bench's own and no one else's labgrade-$lab is touched; its files
# outside the lab directory (../../fixtures) by a path to their real place.
bench=$lab-bench
labs=$dir/labs
mkdir -p "$labs"
cp -r "labs/$lab" "$labs/$bench"
up=$(realpath --relative-to="$labs/$bench" .)
sed -i "s#^  name: $lab\$#  name: $bench#; s#\.\./\.\./fixtures/#$up/fixtures/#g" "$labs/$bench/lab.yaml"
"$lg" lab lint "$labs/$bench" >/dev/null || die "the bench's copy of $lab does not lint"
trap '"$lg" down "$bench" >/dev/null 2>&1; rm -rf "$dir"' EXIT
n=$(go run ./hack/bench/variants "$labs/$bench" "$dir/class")
log "class: $n submissions ($(ls "$dir/class" | tr '\n' ' '))"

# timed NAME CMD...: runs CMD under GNU time; its wall time goes to
# $dir/NAME.secs, and two peak RSS in MiB: labgrade's own (NAME.rss: the
# high-water mark VmHWM of the process running $lg, read while it runs)
# and that of the largest process of the tree (NAME.tree: GNU time's
# maximum, which is the Go compiler when images are built). With LOCKED=1
# it holds the kind lock (only one process creates kind clusters at a
# time), and the wait for it is not counted.
timed() {
  local name=$1; shift
  local rc=0 prefix=() pid hwm=0 p v
  [ "${LOCKED:-}" = 1 ] && prefix=(flock "$lock")
  "${prefix[@]}" /usr/bin/time -v -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for p in $(pgrep -f "^$lg " || true); do
      v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
    done
    sleep 0.5
  done
  wait "$pid" || rc=$?
  # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34"
  awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$dir/$name.time" >"$dir/$name.secs"
  echo $(( hwm / 1024 )) >"$dir/$name.rss"
  awk -F': ' '/Maximum resident set size/ { printf "%d", $2 / 1024 }' "$dir/$name.time" >"$dir/$name.tree"
  log "$name: $(cat "$dir/$name.secs")s, exit $rc, peak RSS labgrade $(cat "$dir/$name.rss") MiB (largest process of its tree $(cat "$dir/$name.tree") MiB)"
}

"$lg" down "$bench" >/dev/null
phase cold-run
LOCKED=1 timed cold "$lg" run "$bench" --labs-dir "$labs" --submission "labs/$lab/solution" -o json "${args[@]}"
phase_end

phase warm-up
# the cluster (a) and (b) share, kept; its images loaded once
LOCKED=1 timed warm "$lg" batch "$bench" --labs-dir "$labs" "$dir/class/solution" --out "$dir/warm" --keep --parallel 1 "${args[@]}"
[ -f "$dir/warm/summary.json" ] || die "the warm-up batch failed: $(tail -3 "$dir/warm.err")"
phase_end

phase sequential
timed seq "$lg" batch "$bench" --labs-dir "$labs" "$dir"/class/* --out "$dir/seq" --keep --parallel 1 "${args[@]}"
phase_end
phase parallel
timed par "$lg" batch "$bench" --labs-dir "$labs" "$dir"/class/* --out "$dir/par" --keep "${args[@]}"
phase_end
"$lg" down "$bench" >/dev/null

# verdicts: id, outcome and failed checks of every submission, (a) against (b)
verdicts() { jq -r '.submissions[] | [.id, .outcome, ((.failed // []) | sort | join(","))] | @tsv' "$1/summary.json" | sort; }
same=yes
diff <(verdicts "$dir/seq") <(verdicts "$dir/par") >"$dir/verdicts.diff" || same=no
parallel=$(jq -r .parallel "$dir/par/summary.json")
sum_seq=$(jq '[.submissions[].seconds] | add' "$dir/seq/summary.json")
sum_par=$(jq '[.submissions[].seconds] | add' "$dir/par/summary.json")
a=$(cat "$dir/seq.secs") b=$(cat "$dir/par.secs") cold=$(cat "$dir/cold.secs")

printf '\nbench-batch: lab %s, %d submissions, %s CPUs, load average %s%s\n' "$lab" "$n" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${ARGS:+, $ARGS}"
printf '  cold single run (labgrade run, new cluster)   %8.1f s   labgrade peak RSS %4s MiB\n' "$cold" "$(cat "$dir/cold.rss")"
printf '  (a) one at a time, warm cluster                %8.1f s   labgrade peak RSS %4s MiB   sum of gradings %.1f s\n' "$a" "$(cat "$dir/seq.rss")" "$sum_seq"
printf '  (b) %2d at a time, warm cluster                 %8.1f s   labgrade peak RSS %4s MiB   sum of gradings %.1f s\n' "$parallel" "$b" "$(cat "$dir/par.rss")" "$sum_par"
printf '  speedup (a)/(b)                                %8.2f x\n' "$(echo "$a / $b" | bc -l)"
printf '  (%d x cold run)/(b)                            %8.2f x\n' "$n" "$(echo "$n * $cold / $b" | bc -l)"
printf '  same verdicts in (a) and (b)                   %8s\n' "$same"
if [ "$same" = no ]; then
  cat "$dir/verdicts.diff"
  exit 1
fi
