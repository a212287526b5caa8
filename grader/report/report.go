// Package report writes a graded result in every form labgrade gives it,
// one file per form:
//
//   - the terminal scorecard a person reads (terminal.go);
//   - the versioned JSON report, docs/report-schema.md (json.go);
//   - JUnit XML for CI servers (junit.go);
//   - Gradescope's autograder results.json (gradescope.go);
//   - under GitHub Actions, a Markdown scorecard for $GITHUB_STEP_SUMMARY
//     and one ::error annotation per check that did not pass (github.go);
//   - the changes between two gradings, for check --watch (changes.go).
//
// Emit (emit.go) writes the outputs a run asked for, all of them from the
// result after Redact, because they are learner-facing: hidden checks keep
// only their id, title, outcome and points. Artifacts writes the unredacted
// reports and each check's diagnostics into a directory for staff.
package report

import "github.com/labgrade/labgrade/grader/result"

// Redact returns a copy of r safe for learner-facing outputs: hidden checks
// keep their id, title, outcome and points, and lose their message, hints,
// subject and diagnostics, which could give the hidden expectation away.
func Redact(r *result.Result) *result.Result {
	c := *r
	c.Checks = make([]result.Check, len(r.Checks))
	for i, ch := range r.Checks {
		if ch.Hidden {
			ch.Message, ch.Hints, ch.Diagnostics = "", nil, nil
			ch.Subject, ch.File, ch.Line = "", "", 0
		}
		c.Checks[i] = ch
	}
	return &c
}
