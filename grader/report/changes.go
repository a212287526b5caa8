package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/result"
)

// Changes writes what changed between two gradings of the learner's loop
// (labgrade check --watch): one line per check whose outcome changed, with
// its message and first hint when it no longer passes, then the score.
// Both results are redacted and made Safe here; what was refused comes
// first.
func Changes(w io.Writer, prev, cur *result.Result, now time.Time) error {
	prev, cur = sanitize(Redact(prev)), sanitize(Redact(cur))
	before := map[string]result.Outcome{}
	for _, c := range prev.Checks {
		before[c.ID] = c.Outcome
	}
	stamp := now.Format("15:04:05")
	for _, rf := range cur.Refused {
		fmt.Fprintf(w, "[%s] refused: %s\n", stamp, rf)
	}
	n := 0
	for _, c := range cur.Checks {
		was := before[c.ID]
		if was == c.Outcome {
			continue
		}
		n++
		mark := map[result.Outcome]string{result.Pass: "✓", result.Fail: "✗", result.Error: "!"}[c.Outcome]
		fmt.Fprintf(w, "[%s] %s %s: %s -> %s  %s\n", stamp, mark, c.ID, cmp.Or(string(was), "none"), c.Outcome, c.Title)
		if c.Outcome != result.Pass {
			if c.Message != "" {
				fmt.Fprintf(w, "           %s\n", c.Message)
			}
			if len(c.Hints) > 0 {
				fmt.Fprintf(w, "           hint: %s\n", c.Hints[0])
			}
		}
	}
	if n == 0 {
		fmt.Fprintf(w, "[%s] no check changed\n", stamp)
	}
	for _, p := range cur.Problems {
		fmt.Fprintf(w, "[%s] problem: %s\n", stamp, p)
	}
	if cur.EnvironmentError != "" {
		fmt.Fprintf(w, "[%s] could not grade: %s\n", stamp, strings.ReplaceAll(cur.EnvironmentError, "\n", "\n           "))
	}
	_, err := fmt.Fprintf(w, "[%s] score %d/%d (was %d): %s\n", stamp, cur.Score, cur.MaxScore, prev.Score, verdictLine(cur))
	return err
}
