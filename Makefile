# labgrade — build and test.
#
#   make test      unit tests, then e2e tests on real kind (what CI runs)
#   make unit      unit tests only (no Docker needed)
#   make e2e-env   Docker engine + kind node image; last line = image name
#                  (make e2e also runs hack/browser.sh: a headless Chromium,
#                  apt-get install chromium if none is on PATH, for the
#                  class page's browser test)
#   make build     bin/labgrade
#   make generate  regenerate the check kinds of the spec, the JSON Schema,
#                  the spec reference and lab data
#   make bench-drift      drift statistics: Go against scipy, same data
#   make bench-run        cold labgrade run against a bash+kubectl grader
#   make drift-reference  regenerate the scipy reference vectors (once)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
E2E_TIMEOUT ?= 45m
# go test, then a summary of the failures (gotestsum: go.mod's tool block)
GOTESTSUM = $(GO) tool gotestsum --format-hide-empty-pkg

.PHONY: test unit e2e e2e-env build generate bench-drift drift-reference

build:
	$(GO) build -o bin/labgrade ./cmd/labgrade

unit:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/
	$(GOTESTSUM) --format standard-quiet -- -count=1 ./...

e2e-env:
	@hack/e2e-env.sh

# The node image comes from hack/e2e-env.sh (last stdout line); its progress
# goes to stderr. gotestsum prints what go test -v does (every e2e case with
# its duration) and then, last, each failed test's own output: parallel
# tests interleave, and CI shows the tail of the log.
# E2E_LANES: the longest test (TestLabK8sServing, mostly waiting on
# traffic phases) starts at once and runs beside this many lanes of the
# other tests, each on a cluster of its own (e2e/helpers_test.go, lane);
# its heaviest part, the parallel namespaces, takes one of the lanes.
# go test's -parallel only has to let every test start.
E2E_LANES ?= 2
E2E_PARALLEL ?= 32
e2e:
	@img=$$(hack/e2e-env.sh | tail -n 1); \
	echo "e2e: node image $$img"; \
	chromium=$$(hack/browser.sh | tail -n 1); \
	echo "e2e: browser $$chromium"; \
	E2E_LANES=$(E2E_LANES) LABGRADE_NODE_IMAGE="$$img" LABGRADE_CHROMIUM="$$chromium" \
	  $(GOTESTSUM) --format standard-verbose -- -tags e2e -count=1 -parallel $(E2E_PARALLEL) -timeout $(E2E_TIMEOUT) ./e2e/

test: unit e2e

# gen-kinds first: the schema is reflected from the kinds it writes.
generate:
	$(GO) run ./hack/gen-kinds
	$(GO) run ./hack/gen-schema
	$(GO) run ./hack/gen-labdata

bench-drift:
	hack/bench-drift.sh

drift-reference:
	/usr/bin/python3 hack/drift-reference/make_vectors.py

# labgrade batch on the k8s-serving class (solution + broken variants): one
# at a time against the default parallelism on one warm cluster, with a
# cold single run; prints wall times, speedup, peak RSS (~30 min on 2 cores).
.PHONY: bench-batch
bench-batch:
	hack/bench/bench-batch.sh

# one cold grading of the k8s-serving solution: labgrade run against a
# hand-written kind+kubectl+bash grader (hack/bench/baseline-k8s-serving.sh),
# alternating, ROUNDS each (default 2); prints times and the ratio.
.PHONY: bench-run
bench-run:
	hack/bench/bench-run.sh
