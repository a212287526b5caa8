// Package faults injects transient failures at named points of a run, so
// that tests can prove labgrade retries what the environment gets wrong
// now and then (a kind create that fails, an image load or an API call cut
// off) instead of blaming the learner. It is driven by one environment
// variable and does nothing unless it is set:
//
//	LABGRADE_INJECT_FAULTS=kind-create=1,image-load=2,api=1,apply=1
//
// makes the first N attempts at each point fail with a connection reset.
package faults

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// EnvVar names the variable that injects faults.
const EnvVar = "LABGRADE_INJECT_FAULTS"

// Points where faults can be injected.
const (
	KindCreate = "kind-create"
	ImageLoad  = "image-load"
	API        = "api"
	Apply      = "apply"
)

var (
	once      sync.Once
	mu        sync.Mutex
	remaining map[string]int
)

func load() {
	remaining = map[string]int{}
	for _, part := range strings.Split(os.Getenv(EnvVar), ",") {
		point, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		if v, err := strconv.Atoi(n); err == nil {
			remaining[point] = v
		}
	}
}

// At returns an injected transient error while faults remain at point, and
// nil otherwise.
func At(point string) error {
	once.Do(load)
	mu.Lock()
	defer mu.Unlock()
	if remaining[point] <= 0 {
		return nil
	}
	remaining[point]--
	return fmt.Errorf("%s: injected fault (%s=%d left): %w", point, EnvVar, remaining[point], syscall.ECONNRESET)
}

// Enabled reports whether any fault is asked for: only then does the
// runner wrap its cluster provider with fault points.
func Enabled() bool { return os.Getenv(EnvVar) != "" }
