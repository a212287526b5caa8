//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// assertNoClusterContainers checks Docker for containers kind labelled with
// the cluster's name (running or stopped).
func assertNoClusterContainers(t *testing.T, name string) {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "docker", "ps", "-a", "-q",
		"--filter", "label=io.x-k8s.kind.cluster="+name).CombinedOutput()
	assert.NoError(t, err, string(out))
	assert.Empty(t, strings.TrimSpace(string(out)), "containers of kind cluster %s remain", name)
}

// lanes are the slots the parallel tests beside TestLabK8sServing share:
// E2E_LANES of them (make e2e sets it; 2 by default). go test's own
// -parallel cannot say which test goes first, and the longest one must
// start at once: make e2e sets -parallel high enough for every test to
// start, and each test but the longest waits here for a lane.
var lanes = make(chan struct{}, laneCount())

func laneCount() int {
	if n, err := strconv.Atoi(os.Getenv("E2E_LANES")); err == nil && n > 0 {
		return n
	}
	return 2
}

// lane waits for a free lane and holds it until the test ends, logging the
// wait so that a test's own time can be told from its queueing.
func lane(t *testing.T) {
	t.Helper()
	start := time.Now()
	lanes <- struct{}{}
	t.Cleanup(func() { <-lanes })
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %.1fs for a lane", waited.Seconds())
	}
}
