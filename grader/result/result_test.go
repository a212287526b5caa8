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

// A run that left checks out is never a pass, whatever it scored: it is
// partial while the skipped checks could still make it pass, and
// not-passed once what ran has decided it.
func TestPartial(t *testing.T) {
	mk := func(skippedPoints int, outcomes ...Outcome) *Result {
		r := &Result{PassingScore: 70, Skipped: []string{"later"}, SkippedPoints: skippedPoints, Selection: "--quick"}
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
		verdict Verdict
		exit    int
	}{
		{"every check that ran passed", mk(50, Pass, Pass), Partial, 3},
		{"a recommended check failed, a pass is still reachable", mk(50, Pass, Fail), Partial, 3},
		// 10 of 20 ran, 10 more skipped: at best 20/30 = 67 % < 70 %
		{"a pass is out of reach", mk(10, Pass, Fail), NotPassed, 1},
		{"a required check failed", mk(50, Fail, Pass), NotPassed, 1},
		{"an error is still an error", mk(50, Pass, Error), Errored, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.verdict, c.r.Verdict)
			assert.Equal(t, c.exit, c.r.ExitCode())
			assert.False(t, c.r.Passed, "a partial grade is never passed")
			assert.Equal(t, 10*len(c.r.Checks), c.r.MaxScore, "maxScore counts only the checks that ran")
		})
	}
	full := mk(0, Pass, Pass)
	full.Skipped, full.SkippedPoints = nil, 0
	full.Tally()
	assert.Equal(t, Passed, full.Verdict, "the same checks with nothing left out pass")
}

// Anything refused from the submission makes the run not pass, whatever
// the checks scored; an environment error still wins (exit 2, never the
// learner's failure).
func TestRefused(t *testing.T) {
	refused := []Refusal{{File: "sub/rbac.yaml", Line: 3, Object: "ClusterRoleBinding/own", Why: "cluster-scoped"}}
	mk := func(mod func(*Result), outcomes ...Outcome) *Result {
		r := &Result{PassingScore: 70, Refused: refused}
		for i, o := range outcomes {
			r.Checks = append(r.Checks, Check{ID: string(rune('a' + i)), Outcome: o, MaxPoints: 10, Severity: "recommended"})
		}
		if mod != nil {
			mod(r)
		}
		r.Tally()
		return r
	}
	cases := []struct {
		name    string
		r       *Result
		verdict Verdict
		exit    int
	}{
		{"every check passed", mk(nil, Pass, Pass), NotPassed, 1},
		{"no checks at all", mk(nil), NotPassed, 1},
		{"a partial grade", mk(func(r *Result) { r.Skipped, r.SkippedPoints = []string{"later"}, 10 }, Pass, Pass), NotPassed, 1},
		{"an environment error", mk(func(r *Result) { r.EnvironmentError = "kind create failed" }, Pass), Errored, 2},
		{"an errored check", mk(nil, Pass, Error), Errored, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.verdict, c.r.Verdict)
			assert.Equal(t, c.exit, c.r.ExitCode())
			assert.False(t, c.r.Passed)
		})
	}
	ok := mk(nil, Pass, Pass)
	ok.Refused = nil
	ok.Tally()
	assert.Equal(t, Passed, ok.Verdict, "the same checks with nothing refused pass")
	assert.Equal(t, 20, mk(nil, Pass, Pass).Score, "the score is still what the checks earned")
}

func TestRefusalString(t *testing.T) {
	assert.Equal(t, "sub/a.yaml:3: Deployment/x: names namespace \"kube-system\"",
		Refusal{File: "sub/a.yaml", Line: 3, Object: "Deployment/x", Why: `names namespace "kube-system"`}.String())
	assert.Equal(t, "sub/link.yaml: a symlink out of the submission", Refusal{File: "sub/link.yaml", Why: "a symlink out of the submission"}.String())
}

func TestRefusalLines(t *testing.T) {
	assert.Equal(t, "", RefusalLines(nil))
	assert.Equal(t, "a.yaml: why\nb.yaml:2: Pod/p: why", RefusalLines([]Refusal{{File: "a.yaml", Why: "why"}, {File: "b.yaml", Line: 2, Object: "Pod/p", Why: "why"}}))
}
