package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/labgrade/labgrade/grader/result"
)

// Terminal writes the scorecard a person reads: first what was refused
// from the submission, if anything; per check a mark (✓ pass, ✗ fail,
// ! error), points, title, and for checks that did not pass the reason and
// the first hint; then the total and the verdict. Color adds ANSI colours
// (for a TTY only). Every string of r is printed through Safe.
func Terminal(w io.Writer, r *result.Result, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	r = sanitize(r)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s  %s\n\n", paint("1", "labgrade · "+r.Lab), r.Title)
	if len(r.Refused) > 0 {
		// first: nothing below counts while any is there
		fmt.Fprintf(&b, "  %s %s\n", paint("31", "✗"), paint("1", refusedHeading(r)))
		for _, rf := range r.Refused {
			fmt.Fprintf(&b, "    %s\n", rf)
		}
		b.WriteString("\n")
	}
	width := 1
	for _, c := range r.Checks {
		width = max(width, len(fmt.Sprint(c.MaxPoints)))
	}
	for _, c := range r.Checks {
		mark := paint("32", "✓")
		switch c.Outcome {
		case result.Fail:
			mark = paint("31", "✗")
		case result.Error:
			mark = paint("33", "!")
		}
		title := c.Title
		if c.Severity == "required" {
			title += " (required)"
		}
		fmt.Fprintf(&b, "  %s %*d/%-*d  %s\n", mark, width, c.Points, width, c.MaxPoints, title)
		indent := strings.Repeat(" ", 6+2*width)
		if c.Message != "" {
			prefix := ""
			if c.Outcome == result.Error {
				prefix = "error: "
			}
			fmt.Fprintf(&b, "%s%s\n", indent, paint("2", prefix+c.Message))
		}
		if d := c.Diagnostics; d != nil && d.Summary != "" {
			where := ""
			if c.File != "" {
				where = fmt.Sprintf(" (%s:%d)", c.File, c.Line)
			}
			fmt.Fprintf(&b, "%s%s %s%s\n", indent, paint("33", "seen:"), d.Summary, where)
		}
		if len(c.Hints) > 0 {
			fmt.Fprintf(&b, "%s%s %s\n", indent, paint("36", "hint:"), c.Hints[0])
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\n  %s %s\n", paint("33", "left out ("+fullGradeHint(r)+"):"), strings.Join(r.Skipped, ", "))
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, "\n  %s\n", paint("33", "Problems applying your work:"))
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "    %s\n", p)
		}
	}
	if r.EnvironmentError != "" {
		// its continuation lines indented: none starts a line of its own
		fmt.Fprintf(&b, "\n  %s %s\n", paint("33", "! could not grade:"), strings.ReplaceAll(r.EnvironmentError, "\n", "\n    "))
	}
	verdict := paint("1;32", "PASSED")
	switch r.Verdict {
	case result.NotPassed:
		verdict = paint("1;31", "NOT PASSED"+refusedNote(r))
	case result.Errored:
		verdict = paint("1;33", "ERROR (not graded: environment or lab problem)")
	case result.Partial:
		verdict = paint("1;33", "PARTIAL (not a full grade)")
	}
	of := ""
	if len(r.Skipped) > 0 {
		// the score must not read as the lab's: it is out of the checks
		// that ran
		of = fmt.Sprintf(" of the checks run, %d points left out", r.SkippedPoints)
	}
	fmt.Fprintf(&b, "\n  Score %d/%d (%.0f%%)%s, passing %d%%: %s   [%.1fs]\n",
		r.Score, r.MaxScore, r.Percent, of, r.PassingScore, verdict, r.DurationSeconds)
	if reg := r.Environment.Registry; reg != "" {
		// the learner's objects in the cluster name these, not their files'
		fmt.Fprintf(&b, "  Images: labgrade.local/NAME ran as %s/NAME in this cluster\n", Safe(reg))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fullGradeHint says how to grade the checks a partial run left out.
func fullGradeHint(r *result.Result) string {
	if r.Selection == "" {
		return "not a full grade"
	}
	return "run without " + r.Selection + " for the full grade"
}

// refusedHeading introduces the refused objects and files.
func refusedHeading(r *result.Result) string {
	return fmt.Sprintf("Refused from your submission (%d, not applied; the run cannot pass until each is fixed or removed):", len(r.Refused))
}

// refusedNote says why a run with refusals did not pass.
func refusedNote(r *result.Result) string {
	if len(r.Refused) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d refused from the submission)", len(r.Refused))
}
