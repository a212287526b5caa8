package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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

// ErrNotGraded: a run that could not grade (verdict error: an environment
// error, or a check the environment or the lab broke) has no Gradescope
// score. Gradescope records whatever score results.json holds as the
// learner's grade; with no results.json it marks the submission "The
// autograder failed to execute correctly" and records none, which is what
// such a run is (docs/report-schema.md).
var ErrNotGraded = errors.New("the run could not grade (verdict error): no Gradescope results are written, so Gradescope reports the autograder failed instead of recording a grade")

// notGraded: r's score must not be taken for a grade.
func notGraded(r *result.Result) bool {
	return r.EnvironmentError != "" || r.Verdict == result.Errored
}

// Gradescope writes r as Gradescope's results.json. Give it a redacted
// result: what it writes is shown to learners. A partial grade and a run
// that could not grade are refused (nothing is written): Gradescope would
// record either score as the grade.
func Gradescope(w io.Writer, r *result.Result) error {
	if len(r.Skipped) > 0 {
		// Gradescope records the score as the grade; a partial one would
		// be taken for the learner's mark
		return fmt.Errorf("a partial grade (%d checks left out by %s) is not written as Gradescope results", len(r.Skipped), cmp.Or(r.Selection, "the selection"))
	}
	if notGraded(r) {
		return ErrNotGraded
	}
	r = sanitize(r)
	out := gradescopeResults{
		Score: r.Score, ExecutionTime: int(r.DurationSeconds + 0.5), OutputFormat: "text", Visibility: "visible",
		Output: verdictLine(r), Tests: []gradescopeTest{},
	}
	if text := submissionText(r); text != "" {
		// number 0: before the checks, whose numbers stay the same from
		// one submission to the next
		t := gradescopeTest{Name: "Your submission", Number: "0", Status: "passed", Visibility: "visible",
			Output: text, Tags: []string{"submission"}}
		if len(r.Refused) > 0 {
			t.Status = "failed"
		}
		out.Tests = append(out.Tests, t)
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

// submissionText lists what was refused from the submission and the
// problems applying it, one a line; "" when there are none.
func submissionText(r *result.Result) string {
	var b strings.Builder
	if len(r.Refused) > 0 {
		b.WriteString(refusedHeading(r) + "\n" + result.RefusalLines(r.Refused) + "\n")
	}
	if len(r.Problems) > 0 {
		b.WriteString("Problems applying your work:\n")
		for _, p := range r.Problems {
			b.WriteString(p + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// verdictLine is the run's one-line outcome.
func verdictLine(r *result.Result) string {
	v := "PASSED"
	switch r.Verdict {
	case result.NotPassed:
		v = "NOT PASSED" + refusedNote(r)
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
