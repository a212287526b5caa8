package checks

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

// assertFailure requires err to be the learner's failure, saying want.
func assertFailure(t *testing.T, err error, want string) {
	t.Helper()
	var f *Failure
	require.ErrorAs(t, err, &f, "a learner failure, not an environment error: %v", err)
	assert.Contains(t, err.Error(), want)
}

// Only a Failure, however wrapped, is the learner's; any other error is
// the environment's, and a pass shows its evidence.
func TestVerdict(t *testing.T) {
	sentinel := errors.New("image not ready")
	cases := []struct {
		name     string
		evidence string
		err      error
		outcome  result.Outcome
		message  string
	}{
		{"pass shows its evidence", "ready after 1s", nil, result.Pass, "ready after 1s"},
		{"failure", "", Failf("want %d, got %d", 200, 503), result.Fail, "want 200, got 503"},
		{"wrapped failure", "", fmt.Errorf("phase one: %w", Failf("no samples")), result.Fail, "phase one: no samples"},
		{"environment", "", errors.New("the API server did not answer"), result.Error, "the API server did not answer"},
		{"interrupted", "", errInterrupted, result.Error, "interrupted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outcome, message := Verdict(c.evidence, c.err)
			assert.Equal(t, c.outcome, outcome)
			assert.Equal(t, c.message, message)
		})
	}
	assert.ErrorIs(t, Failf("not ready: %w", sentinel), sentinel, "a failure keeps what it wraps")
}
