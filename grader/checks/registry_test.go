package checks

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

// Every check kind grader/spec declares can run: a kind added there
// without its execution here fails this test, not a grading.
func TestEveryKindRuns(t *testing.T) {
	for _, name := range spec.KindNames {
		assert.Contains(t, executors, name, "kind %s has no execution: register one from its file in grader/checks", name)
	}
	assert.Len(t, executors, len(spec.KindNames))
}

// Run hands a check to its kind's execution, bounded by the check's
// timeout.
func TestRunDispatchesWithTimeout(t *testing.T) {
	orig := executors["http"]
	t.Cleanup(func() { executors["http"] = orig })
	var left time.Duration
	var got spec.Kind
	executors["http"] = func(ctx context.Context, _ Env, k spec.Kind) (string, error) {
		dl, ok := ctx.Deadline()
		require.True(t, ok, "the run has a deadline")
		left, got = time.Until(dl), k
		return "answered", nil
	}
	h := &spec.HTTPCheck{Service: "web"}
	c := &spec.Check{ID: "web", Timeout: spec.Duration{Duration: 7 * time.Second}, Kinds: spec.Kinds{HTTP: h}}
	evidence, err := Run(context.Background(), Env{}, c)
	require.NoError(t, err)
	assert.Equal(t, "answered", evidence)
	assert.Same(t, h, got)
	assert.InDelta(t, 7*time.Second, left, float64(time.Second))
}

// A check without exactly one kind is the lab's error, never the
// learner's failure.
func TestRunWithoutKind(t *testing.T) {
	for _, c := range []*spec.Check{
		{ID: "none"},
		{ID: "two", Kinds: spec.Kinds{HTTP: &spec.HTTPCheck{}, Absent: &spec.AbsentCheck{}}},
	} {
		_, err := Run(context.Background(), Env{}, c)
		require.Error(t, err, c.ID)
		var f *Failure
		assert.NotErrorAs(t, err, &f, c.ID)
		assert.Contains(t, err.Error(), "has no kind")
	}
}

// A kind whose CEL was never compiled does not run as if it had none.
func TestRunNeedsCompiledCEL(t *testing.T) {
	c := &spec.Check{ID: "r", Kinds: spec.Kinds{Resource: &spec.ResourceCheck{CEL: []string{"false"}}}}
	_, err := Run(context.Background(), Env{}, c)
	assert.ErrorContains(t, err, "not compiled")
}
