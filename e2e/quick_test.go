//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/checks"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
)

// checkQuick is the learner's fast loop on the lab's cluster (after
// labgrade up): check --quick applies the solution and grades every check
// but the traffic phases and the rollouts, names those it left out, and is
// a partial grade (exit 3), not a pass. The cluster shows that none of
// them ran: no load generator pod (every traffic phase and rollout starts
// one) was created, and the Deployment a rollout would change kept its
// generation through a warm run.
func checkQuick(t *testing.T, ctx context.Context, labDir, solution string) {
	l, err := lab.Load(labDir)
	require.NoError(t, err)
	var slow []string
	for _, c := range l.Spec.Checks {
		if !c.IsQuick() {
			slow = append(slow, c.ID)
		}
	}
	require.Equal(t, []string{"drift-detects", "rollout-under-traffic", "rollout-halts"}, slow, "the lab's checks that are not quick")

	name := cluster.ClusterName(l.Name())
	c, err := cluster.Connect(cluster.KubeconfigPath(name), cluster.Context(name))
	require.NoError(t, err)
	ns := l.Spec.Namespace
	generation := func() int64 {
		d, err := c.Typed.AppsV1().Deployments(ns).Get(ctx, "model-server", metav1.GetOptions{})
		require.NoError(t, err)
		return d.Generation
	}
	start := time.Now().Add(-time.Second) // event times have whole seconds

	// first with the solution applied, as at a save
	res := labgrade(t, ctx, "check", "k8s-serving", "--labs-dir", "labs", "--submission", solution, "--quick", "-o", "json")
	require.Equal(t, result.ExitPartial, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	var r result.Result
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &r))
	assert.Equal(t, slow, r.Skipped)
	assert.Equal(t, 40, r.SkippedPoints)
	assert.Equal(t, "--quick", r.Selection)
	assert.Equal(t, result.Partial, r.Verdict)
	assert.False(t, r.Passed)
	assert.Equal(t, r.MaxScore, r.Score, "every quick check passes on the solution")
	assert.Len(t, r.Checks, len(l.Spec.Checks)-len(slow))
	for _, rc := range r.Checks {
		assert.NotContains(t, slow, rc.ID, "a left-out check ran")
	}
	assert.Contains(t, res.stderr, "left out (run without --quick for the full grade): drift-detects, rollout-under-traffic, rollout-halts")
	t.Logf("check --quick --submission in %.2fs", res.took.Seconds())
	applied := generation()

	// then warm, as the cluster stands, with the scorecard a learner reads
	res = labgrade(t, ctx, "check", "k8s-serving", "--labs-dir", "labs", "--quick")
	require.Equal(t, result.ExitPartial, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	assert.Contains(t, res.stdout, "left out (run without --quick for the full grade): drift-detects, rollout-under-traffic, rollout-halts\n")
	assert.Contains(t, res.stdout, "of the checks run, 40 points left out, passing 70%: PARTIAL (not a full grade)")
	assert.Contains(t, res.stderr, "answers through", "the cluster was reached through its kubeconfig, without kind")
	t.Logf("warm check --quick in %.2fs (the bench is hack/bench-check.sh)", res.took.Seconds())

	assert.Equal(t, applied, generation(), "the model-server Deployment was changed: a rollout ran")
	// load generators run in the grader's namespace, out of the learner's reach
	events, err := c.Typed.CoreV1().Events(checks.GraderNamespace).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, e := range events.Items {
		// A pod that starts says Scheduled, Created, Started; the loadgen
		// of the full check before this one may still be reported Killing
		// a moment after it was deleted, which is not a run of this check.
		starting := e.Reason == "Scheduled" || e.Reason == "Created" || e.Reason == "Started"
		if strings.HasPrefix(e.InvolvedObject.Name, "labgrade-loadgen-") && starting && !e.CreationTimestamp.Time.Before(start) {
			t.Errorf("a load generator ran during check --quick: %s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
}
