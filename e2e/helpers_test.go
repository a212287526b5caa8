//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/runner"
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

// Lanes are the slots the parallel tests beside TestLabK8sServing share:
// E2E_LANES of them (make e2e sets it; 2 by default). go test's own
// -parallel cannot say which test goes first, and the longest one must
// start at once: make e2e sets -parallel high enough for every test to
// start, and each test but the longest waits in lane for a slot. A free
// slot goes to the waiting test expected to take longest (its weight, the
// seconds it took here on a loaded 2-core machine), so that the lanes end
// close together rather than with one long test started last.
var lanes = &laneQueue{free: laneCount()}

func laneCount() int {
	if n, err := strconv.Atoi(os.Getenv("E2E_LANES")); err == nil && n > 0 {
		return n
	}
	return 2
}

// laneFirst is the weight of a part that must have the next free lane,
// ahead of every test waiting.
const laneFirst = 1 << 20

// laneGather is how long the first grant waits for the other tests to
// queue: they all start within milliseconds of each other.
const laneGather = 300 * time.Millisecond

type laneQueue struct {
	mu      sync.Mutex
	free    int
	first   time.Time
	waiting []*laneWaiter
}

type laneWaiter struct {
	weight int
	ready  chan struct{}
}

// lane waits for a slot and holds it until the test ends, logging the
// wait so that a test's own time can be told from its queueing. The
// function it returns gives the slot back earlier: a test whose last part
// mostly waits (a lab proven one case at a time) lets the next test start
// beside it.
func lane(t *testing.T, weight int) (release func()) {
	t.Helper()
	start := time.Now()
	w := &laneWaiter{weight: weight, ready: make(chan struct{})}
	lanes.mu.Lock()
	if lanes.first.IsZero() {
		lanes.first = start
		time.AfterFunc(laneGather, lanes.grant)
	}
	lanes.waiting = append(lanes.waiting, w)
	lanes.mu.Unlock()
	lanes.grant()
	<-w.ready
	var once sync.Once
	release = func() {
		once.Do(func() {
			lanes.mu.Lock()
			lanes.free++
			lanes.mu.Unlock()
			lanes.grant()
		})
	}
	t.Cleanup(release)
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %.1fs for a lane", waited.Seconds())
	}
	return release
}

// grant hands free slots to the heaviest waiting tests, once the first
// tests have had time to queue.
func (q *laneQueue) grant() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if time.Since(q.first) < laneGather {
		return
	}
	for q.free > 0 && len(q.waiting) > 0 {
		sort.SliceStable(q.waiting, func(i, j int) bool { return q.waiting[i].weight > q.waiting[j].weight })
		w := q.waiting[0]
		q.waiting = q.waiting[1:]
		q.free--
		close(w.ready)
	}
}

// openLabSession opens a grading session on a new kind cluster for the lab
// in e2e/testdata/labs/LAB, deleted (and checked gone) when the test ends.
func openLabSession(t *testing.T, ctx context.Context, labName string) *runner.Session {
	t.Helper()
	l, err := lab.Load(filepath.Join(repoRoot, "e2e", "testdata", "labs", labName))
	require.NoError(t, err)
	name := cluster.ClusterName(labName)
	t.Cleanup(func() {
		_ = cluster.NewKind().Delete(name, cluster.KubeconfigPath(name))
		assertNoClusterContainers(t, name)
	})
	s, err := runner.Open(ctx, runner.Options{Lab: l, Cluster: runner.NewCluster, NodeImage: nodeImage})
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, err)
	return s
}
