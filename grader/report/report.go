// Package report writes a result in each output format, one writer per
// format: the terminal scorecard, the JSON report and JUnit XML.
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
