package batch

import (
	"github.com/labgrade/labgrade/grader/result"
)

// Outcome of one submission in a batch.
type Outcome string

// Outcomes. The first three are grades (the result's verdict); the others
// are not, and have no score in the summary.
const (
	Passed    Outcome = "passed"
	NotPassed Outcome = "not-passed"
	Partial   Outcome = "partial"
	// Error: the environment failed twice (two namespaces), or the
	// submission could not be read or its files written.
	Error Outcome = "error"
	// Timeout: the grading passed its deadline (not retried).
	Timeout Outcome = "timeout"
	// Interrupted: Ctrl-C stopped the grading under way.
	Interrupted Outcome = "interrupted"
	// NotRun: Ctrl-C came before the grading started.
	NotRun Outcome = "not-run"
)

// Graded reports whether the outcome is a grade.
func (o Outcome) Graded() bool { return o == Passed || o == NotPassed || o == Partial }

// Entry is one submission's row in the summary.
type Entry struct {
	ID  string `json:"id"`
	Dir string `json:"dir"`
	// Namespace is where the last attempt graded it.
	Namespace string  `json:"namespace,omitempty"`
	Outcome   Outcome `json:"outcome"`
	// Score, MaxScore and Percent are set only for a grade.
	Score    *int     `json:"score,omitempty"`
	MaxScore *int     `json:"maxScore,omitempty"`
	Percent  *float64 `json:"percent,omitempty"`
	Passed   bool     `json:"passed"`
	// Failed are the ids of the checks that did not pass.
	Failed []string `json:"failed,omitempty"`
	// Checks are each check's outcome, for the class's per-check counts.
	Checks []CheckOutcome `json:"checks,omitempty"`
	// Refused counts what was refused from the submission.
	Refused int `json:"refused,omitempty"`
	// Seconds this run spent on it (every attempt); a kept grade keeps
	// the time it took then.
	Seconds  float64 `json:"seconds"`
	Attempts int     `json:"attempts,omitempty"`
	// Resumed: the grade is an earlier run's, kept (same lab, same
	// submission).
	Resumed bool `json:"resumed,omitempty"`
	// Message says why there is no grade (or what went wrong after it).
	Message string `json:"message,omitempty"`

	stamp Stamp
}

// CheckOutcome is one check of one submission.
type CheckOutcome struct {
	ID      string         `json:"id"`
	Outcome result.Outcome `json:"outcome"`
}

// fill takes what the summary shows from a result: the score only when it
// is a grade.
func (e *Entry) fill(r *result.Result) {
	e.Namespace = r.Namespace
	e.Refused = len(r.Refused)
	e.Failed = r.Failing()
	e.Checks = e.Checks[:0]
	for _, c := range r.Checks {
		e.Checks = append(e.Checks, CheckOutcome{ID: c.ID, Outcome: c.Outcome})
	}
	if e.Resumed || e.Seconds == 0 {
		e.Seconds = r.DurationSeconds
	}
	if graded(r) == "" {
		// what ran before the environment failed is no verdict on the
		// submission: diagnostics.txt has it
		e.Score, e.MaxScore, e.Percent, e.Passed = nil, nil, nil, false
		e.Failed, e.Checks = nil, nil
		return
	}
	score, maxScore, pct := r.Score, r.MaxScore, r.Percent
	e.Score, e.MaxScore, e.Percent, e.Passed = &score, &maxScore, &pct, r.Passed
}
