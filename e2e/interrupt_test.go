//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/cluster"
)

// TestInterruptAndFaults runs the two tests of the interrupt-demo lab,
// which share its cluster name, one after the other, beside the other
// parallel tests.
func TestInterruptAndFaults(t *testing.T) {
	t.Parallel()
	lane(t, 164)
	t.Run("interrupt", interruptCreate)
	t.Run("transient-faults", transientFaults)
}

// interruptCreate: Ctrl-C while the cluster is being created leaves no
// cluster and no container behind, and exits 2.
func interruptCreate(t *testing.T) {
	const name = "labgrade-interrupt-demo"
	labs := filepath.Join(repoRoot, "e2e", "testdata", "labs")
	cmd := exec.Command(labgradeBin, "run", "interrupt-demo", "--labs-dir", labs,
		"--submission", filepath.Join(labs, "interrupt-demo", "scenario"))
	cmd.Env = append(os.Environ(), cluster.EnvNodeImage+"="+nodeImage)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cluster.NewKind().Delete(name, cluster.KubeconfigPath(name)) })

	// Interrupt once kind's node container exists, i.e. mid-create.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.x-k8s.kind.cluster="+name).Output()
		return len(bytes.TrimSpace(out)) > 0, nil
	}), "the node container never appeared; stderr: %s", stderr.String())
	t.Logf("node container up after %.1fs; sending SIGINT", time.Since(start).Seconds())
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))

	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", stderr.String())
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, stderr.String(), "interrupted")
	t.Logf("exited %d after %.1fs", ee.ExitCode(), time.Since(start).Seconds())
	exists, err := cluster.NewKind().Exists(name)
	require.NoError(t, err)
	assert.False(t, exists, "cluster %s still exists", name)
	assertNoClusterContainers(t, name)
	assert.False(t, strings.Contains(stderr.String(), "panic"), stderr.String())
}
