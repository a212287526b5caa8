package result

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScore(t *testing.T) {
	mk := func(outcomes ...Outcome) *Result {
		r := &Result{PassingScore: 70}
		for i, o := range outcomes {
			sev := "recommended"
			if i == 0 {
				sev = "required"
			}
			r.Checks = append(r.Checks, Check{ID: string(rune('a' + i)), Outcome: o, MaxPoints: 10, Severity: sev})
		}
		r.Tally()
		return r
	}
	cases := []struct {
		name    string
		r       *Result
		score   int
		verdict Verdict
		exit    int
	}{
		{"all pass", mk(Pass, Pass, Pass), 30, Passed, 0},
		{"enough points", mk(Pass, Pass, Pass, Fail), 30, Passed, 0},
		{"too few points", mk(Pass, Fail, Fail), 10, NotPassed, 1},
		{"required failed", mk(Fail, Pass, Pass, Pass), 30, NotPassed, 1},
		{"an error is not a learner failure", mk(Pass, Pass, Error), 20, Errored, 2},
		{"exactly the passing score", mk(Pass, Pass, Pass, Pass, Pass, Pass, Pass, Fail, Fail, Fail), 70, Passed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.score, c.r.Score)
			assert.Equal(t, c.verdict, c.r.Verdict)
			assert.Equal(t, c.exit, c.r.ExitCode())
			assert.Equal(t, c.verdict == Passed, c.r.Passed)
		})
	}
	env := &Result{EnvironmentError: "docker down", PassingScore: 0}
	env.Tally()
	assert.Equal(t, 2, env.ExitCode(), "an environment error exits 2 even with no checks")
}
