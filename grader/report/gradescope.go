package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"

	"github.com/labgrade/labgrade/grader/result"
)

// Gradescope's autograder results.json: a top-level score and output, and
// one test per check. Hidden checks are shown to learners only after the
// grades are published (visibility after_published), and carry no output.
type gradescopeResults struct {
	Score         int              `json:"score"`
	ExecutionTime int              `json:"execution_time"`
	Output        string           `json:"output"`
	OutputFormat  string           `json:"output_format"`
	Visibility    string           `json:"visibility"`
	Tests         []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name       string   `json:"name"`
	Number     string   `json:"number"`
	Score      int      `json:"score"`
	MaxScore   int      `json:"max_score"`
	Status     string   `json:"status"`
	Output     string   `json:"output,omitempty"`
	Visibility string   `json:"visibility"`
	Tags       []string `json:"tags,omitempty"`
}

// Gradescope writes r as Gradescope's results.json. Give it a redacted
// result: what it writes is shown to learners.
func Gradescope(w io.Writer, r *result.Result) error {
	if len(r.Skipped) > 0 {
		// Gradescope records the score as the grade; a partial one would
		// be taken for the learner's mark
		return fmt.Errorf("a partial grade (%d checks left out by %s) is not written as Gradescope results", len(r.Skipped), cmp.Or(r.Selection, "the selection"))
	}
	out := gradescopeResults{
		Score: r.Score, ExecutionTime: int(r.DurationSeconds + 0.5), OutputFormat: "text", Visibility: "visible",
		Output: verdictLine(r),
	}
	if r.EnvironmentError != "" {
		out.Output = "labgrade could not grade this submission: " + r.EnvironmentError +
			"\nThis is a fault of the grading environment, not of your work; the course staff will rerun it."
	}
	for i, c := range r.Checks {
		t := gradescopeTest{
			Name: c.Title, Number: fmt.Sprint(i + 1), Score: c.Points, MaxScore: c.MaxPoints,
			Status: "failed", Visibility: "visible", Tags: []string{c.ID, c.Severity},
		}
		if c.Outcome == result.Pass {
			t.Status = "passed"
		}
		if c.Hidden {
			t.Visibility = "after_published"
			t.Tags = nil
		} else {
			t.Output = checkDetail(c)
		}
		out.Tests = append(out.Tests, t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// verdictLine is the run's one-line outcome.
func verdictLine(r *result.Result) string {
	v := "PASSED"
	switch r.Verdict {
	case result.NotPassed:
		v = "NOT PASSED"
	case result.Errored:
		v = "NOT GRADED (environment error)"
	case result.Partial:
		v = "PARTIAL (not a full grade)"
	}
	of := ""
	if len(r.Skipped) > 0 {
		of = fmt.Sprintf(" of the checks run (%d left out, %s)", len(r.Skipped), fullGradeHint(r))
	}
	return fmt.Sprintf("Score %d/%d (%.0f%%)%s, passing %d%% and every required check: %s", r.Score, r.MaxScore, r.Percent, of, r.PassingScore, v)
}

// checkDetail is what a learner reads about one check: why it did not
// pass, what was seen, and the first hint.
func checkDetail(c result.Check) string {
	if c.Outcome == result.Pass {
		return c.Message
	}
	s := c.Message
	if c.Outcome == result.Error {
		s = "could not be checked (not your fault): " + s
	}
	if d := c.Diagnostics; d != nil && d.Summary != "" {
		s += "\nseen: " + d.Summary
	}
	if len(c.Hints) > 0 {
		s += "\nhint: " + c.Hints[0]
	}
	return s
}
