package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/labgrade/labgrade/grader/result"
)

// StepSummary writes the scorecard as GitHub-flavoured Markdown, for
// $GITHUB_STEP_SUMMARY. Give it a redacted result.
func StepSummary(w io.Writer, r *result.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## labgrade · %s\n\n%s\n\n", mdEscape(r.Title), verdictLine(r))
	b.WriteString("| | points | check |\n|---|---:|---|\n")
	for _, c := range r.Checks {
		mark := map[result.Outcome]string{result.Pass: "✅", result.Fail: "❌", result.Error: "⚠️"}[c.Outcome]
		title := mdEscape(c.Title)
		if c.Severity == "required" {
			title += " *(required)*"
		}
		if detail := checkDetail(c); detail != "" && !c.Hidden {
			title += "<br>" + strings.ReplaceAll(mdEscape(detail), "\n", "<br>")
		}
		fmt.Fprintf(&b, "| %s | %d/%d | %s |\n", mark, c.Points, c.MaxPoints, title)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\n**Left out** (%s): %s\n", mdEscape(fullGradeHint(r)), mdEscape(strings.Join(r.Skipped, ", ")))
	}
	if r.EnvironmentError != "" {
		fmt.Fprintf(&b, "\n> **Could not grade:** %s\n", mdEscape(r.EnvironmentError))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Annotations writes one GitHub Actions ::error command per check that did
// not pass, pointing at the submission file and line of the object the
// check is about when known. Give it a redacted result: hidden checks say
// only their title.
func Annotations(w io.Writer, r *result.Result) error {
	for _, c := range r.Checks {
		if c.Outcome == result.Pass {
			continue
		}
		var props []string
		if c.File != "" {
			props = append(props, "file="+escapeProperty(c.File))
			if c.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", c.Line))
			}
		}
		props = append(props, "title="+escapeProperty(fmt.Sprintf("%s (%d/%d)", c.Title, c.Points, c.MaxPoints)))
		msg := checkDetail(c)
		if c.Hidden || msg == "" {
			msg = "did not pass"
		}
		if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(msg)); err != nil {
			return err
		}
	}
	return nil
}

// escapeData and escapeProperty encode workflow command text the way the
// GitHub Actions runner decodes it (%, CR, LF; and : , in properties).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}
