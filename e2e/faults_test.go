//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/faults"
	"github.com/labgrade/labgrade/grader/result"
)

// transientFaults injects environment failures into real runs: a kind
// create, an API call and an apply that fail once are retried and the lab
// is graded as if nothing happened; an apply that keeps failing ends the
// run with exit 2 and one line naming the step and what to do, never as a
// learner failure.
func transientFaults(t *testing.T) {
	const name = "labgrade-interrupt-demo"
	labs := filepath.Join(repoRoot, "e2e", "testdata", "labs")
	t.Cleanup(func() { _ = cluster.NewKind().Delete(name, cluster.KubeconfigPath(name)) })
	run := func(inject string, args ...string) (int, string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		res := labgradeEnv(t, ctx, []string{faults.EnvVar + "=" + inject}, append([]string{"run", "interrupt-demo", "--labs-dir", labs,
			"--submission", filepath.Join(labs, "interrupt-demo", "scenario"), "-o", "json"}, args...)...)
		return res.code, res.stdout, res.stderr
	}

	code, stdout, stderr := run("kind-create=1,api=1,apply=1", "--keep")
	require.Equal(t, 0, code, "stderr:\n%s", stderr)
	for _, step := range []string{"kind create", "reaching the API server", "applying setup scenario/"} {
		assert.Contains(t, stderr, step+": transient failure", "retried")
	}
	var r result.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, result.Passed, r.Verdict)

	// every report says what graded it
	assert.Equal(t, nodeImage, r.Environment.NodeImage)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, r.Environment.LabDigest)
	assert.NotEmpty(t, r.Environment.Kubernetes)
	assert.NotEmpty(t, r.Environment.Kind)

	code, stdout, stderr = run("apply=9", "--reuse")
	assert.Equal(t, 2, code, "stderr:\n%s", stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, result.Errored, r.Verdict, "an environment failure is not the learner's")
	assert.Contains(t, r.EnvironmentError, "applying setup scenario/ failed 3 times, the last with: apply: injected fault")
	assert.Contains(t, r.EnvironmentError, "labgrade down interrupt-demo")
	assert.Contains(t, stderr, "labgrade: could not grade:")
	assert.Equal(t, nodeImage, r.Environment.NodeImage, "a reused cluster reports the image its node runs")
}
