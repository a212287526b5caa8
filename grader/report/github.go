package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/labgrade/labgrade/grader/result"
)

// StepSummary writes the scorecard as GitHub-flavoured Markdown, for
// $GITHUB_STEP_SUMMARY: what was refused first, the checks, the problems
// applying the submission. Give it a redacted result.
func StepSummary(w io.Writer, r *result.Result) error {
	r = sanitize(r)
	var b strings.Builder
	fmt.Fprintf(&b, "## labgrade · %s\n\n%s\n\n", mdEscape(r.Title), mdEscape(verdictLine(r)))
	if len(r.Refused) > 0 {
		fmt.Fprintf(&b, "### ❌ %s\n\n", mdEscape(refusedHeading(r)))
		for _, rf := range r.Refused {
			fmt.Fprintf(&b, "- %s\n", mdEscape(rf.String()))
		}
		b.WriteString("\n")
	}
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
	if len(r.Problems) > 0 {
		b.WriteString("\n**Problems applying your work:**\n\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s\n", mdEscape(p))
		}
	}
	if r.EnvironmentError != "" {
		fmt.Fprintf(&b, "\n> **Could not grade:** %s\n", strings.ReplaceAll(mdEscape(r.EnvironmentError), "\n", "<br>"))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Annotations writes one GitHub Actions ::error command per refused object
// or file, then one per check that did not pass, pointing at the
// submission file and line of the object the check is about when known.
// Give it a redacted result: hidden checks say only their title. These are
// the only lines of labgrade's output that start with "::": every string
// in them is Safe, then escaped as the runner decodes it.
func Annotations(w io.Writer, r *result.Result) error {
	r = sanitize(r)
	for _, rf := range r.Refused {
		var props []string
		if rf.File != "" {
			props = append(props, "file="+escapeProperty(rf.File))
			if rf.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", rf.Line))
			}
		}
		props = append(props, "title="+escapeProperty(strings.TrimSuffix("refused: "+rf.Object, ": ")))
		if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(rf.Why)); err != nil {
			return err
		}
	}
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

// mdEscape makes text (already Safe) inert in GitHub Markdown: no HTML,
// no table cell break, no link, image, emphasis or code span a learner
// could draw.
var mdEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\\", "\\\\", "|", "\\|", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "~", "\\~").Replace
