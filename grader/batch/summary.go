package batch

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
)

// Summary is the class: what summary.json holds, and what summary.csv,
// summary.md and index.html show.
type Summary struct {
	Lab       string `json:"lab"`
	Title     string `json:"title"`
	LabDigest string `json:"labDigest"`
	// Selection is --only/--skip/--quick ("" = every check): with one,
	// every grade is partial.
	Selection string  `json:"selection,omitempty"`
	Parallel  int     `json:"parallel"`
	Seconds   float64 `json:"seconds"`
	Finished  string  `json:"finished"`
	// Interrupted: Ctrl-C stopped the batch; NotRun lists what it never
	// started.
	Interrupted bool        `json:"interrupted,omitempty"`
	Counts      Counts      `json:"counts"`
	Checks      []CheckStat `json:"checks"`
	// Histogram counts the graded submissions by percent: ten bins of ten
	// points, the last holding 100.
	Histogram   [10]int  `json:"histogram"`
	Submissions []*Entry `json:"submissions"`
}

// Counts of the class by outcome.
type Counts struct {
	Total       int `json:"total"`
	Graded      int `json:"graded"`
	Passed      int `json:"passed"`
	NotPassed   int `json:"notPassed"`
	Partial     int `json:"partial"`
	Error       int `json:"error"`
	Timeout     int `json:"timeout"`
	Interrupted int `json:"interrupted"`
	NotRun      int `json:"notRun"`
	// Resumed are the grades kept from an earlier run.
	Resumed int `json:"resumed"`
}

// CheckStat is one check over the graded submissions.
type CheckStat struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Ran    int    `json:"ran"`
	Passed int    `json:"passed"`
	Failed int    `json:"failed"`
	Errors int    `json:"errors"`
	// PassRate is Passed/Ran in percent (0 when it never ran).
	PassRate float64 `json:"passRate"`
}

func newSummary(o Options, labDigest string, entries []*Entry, took time.Duration, interrupted bool) *Summary {
	s := &Summary{
		Lab: o.Lab.Name(), Title: o.Lab.Spec.Title, LabDigest: labDigest, Selection: o.Select.String(),
		Parallel: o.Parallel, Seconds: float64(took.Milliseconds()) / 1000,
		Finished: time.Now().UTC().Format(time.RFC3339), Interrupted: interrupted, Submissions: entries,
	}
	stats := map[string]*CheckStat{}
	for _, c := range o.Lab.Spec.Checks {
		s.Checks = append(s.Checks, CheckStat{ID: c.ID, Title: c.Title})
	}
	for i := range s.Checks {
		stats[s.Checks[i].ID] = &s.Checks[i]
	}
	for _, e := range entries {
		s.Counts.add(e)
		if !e.Outcome.Graded() {
			continue
		}
		if e.Percent != nil {
			s.Histogram[min(9, int(*e.Percent/10))]++
		}
		for _, c := range e.Checks {
			st := stats[c.ID]
			if st == nil { // a kept grade of a check the lab no longer has
				continue
			}
			st.Ran++
			switch c.Outcome {
			case result.Pass:
				st.Passed++
			case result.Fail:
				st.Failed++
			default:
				st.Errors++
			}
		}
	}
	for i := range s.Checks {
		if c := &s.Checks[i]; c.Ran > 0 {
			c.PassRate = float64(c.Passed) * 100 / float64(c.Ran)
		}
	}
	return s
}

func (c *Counts) add(e *Entry) {
	c.Total++
	if e.Outcome.Graded() {
		c.Graded++
	}
	if e.Resumed {
		c.Resumed++
	}
	switch e.Outcome {
	case Passed:
		c.Passed++
	case NotPassed:
		c.NotPassed++
	case Partial:
		c.Partial++
	case Error:
		c.Error++
	case Timeout:
		c.Timeout++
	case Interrupted:
		c.Interrupted++
	case NotRun:
		c.NotRun++
	}
}

// AllGraded reports whether every submission has a grade (exit 0, even if
// some did not pass).
func (s *Summary) AllGraded() bool { return s.Counts.Graded == s.Counts.Total }

// maxNamed is how many submissions without a grade the last line names.
const maxNamed = 10

// Line is the batch's last progress line: the counts, and what was not
// graded.
func (s *Summary) Line() string {
	c := s.Counts
	line := fmt.Sprintf("batch: %d of %d graded (%d passed, %d not passed, %d partial; %d kept from an earlier run) in %.1fs",
		c.Graded, c.Total, c.Passed, c.NotPassed, c.Partial, c.Resumed, s.Seconds)
	var not []string
	for _, e := range s.Submissions {
		if !e.Outcome.Graded() {
			not = append(not, safeID(e.ID)+" ("+string(e.Outcome)+")")
		}
	}
	if len(not) > maxNamed {
		not = append(not[:maxNamed], fmt.Sprintf("and %d more (see summary.csv)", len(not)-maxNamed))
	}
	if len(not) > 0 {
		line += "; not graded: " + strings.Join(not, ", ")
	}
	if s.Interrupted {
		line += "; interrupted: run the same command again to grade the rest"
	}
	return line
}

// ByMostFailed is the checks, most failed (and errored) first, then in
// lab order: what instructors look at first.
func (s *Summary) ByMostFailed() []CheckStat {
	out := slices.Clone(s.Checks)
	slices.SortStableFunc(out, func(a, b CheckStat) int { return cmp.Compare(b.Failed+b.Errors, a.Failed+a.Errors) })
	return out
}

// writeClassFiles writes summary.json, summary.csv, summary.md and
// index.html into dir.
func writeClassFiles(dir string, s *Summary) error {
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"summary.json", s.writeJSON},
		{"summary.csv", s.writeCSV},
		{"summary.md", s.writeMarkdown},
		{"index.html", func(w io.Writer) error { return writeHTML(w, dir, s) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func (s *Summary) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// CSVHeader are summary.csv's columns.
var CSVHeader = []string{"id", "score", "maxScore", "passed", "failed", "outcome", "seconds"}

// writeCSV writes one row per submission. A learner's id that a
// spreadsheet would take for a formula is made text (csvText); a
// submission without a grade has empty score cells, never a 0.
func (s *Summary) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range s.Submissions {
		score, maxScore, passed := "", "", ""
		if e.Score != nil {
			score, maxScore, passed = strconv.Itoa(*e.Score), strconv.Itoa(*e.MaxScore), strconv.FormatBool(e.Passed)
		}
		row := []string{csvText(e.ID), score, maxScore, passed, csvText(strings.Join(e.Failed, " ")), string(e.Outcome), strconv.FormatFloat(e.Seconds, 'f', 1, 64)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText keeps a cell text in a spreadsheet: one that starts with what
// opens a formula (=, +, -, @) or a tab or carriage return (which some
// spreadsheets skip before looking) gets a leading apostrophe, as OWASP
// advises against CSV injection. The csv writer quotes what needs it.
func csvText(s string) string {
	s = report.Safe(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeMarkdown writes the class table and, per check, how many passed,
// the most failed first.
func (s *Summary) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", mdText(s.Lab), mdText(s.Title))
	c := s.Counts
	fmt.Fprintf(&b, "%d submissions: %d graded (%d passed, %d not passed, %d partial), %d error, %d timeout, %d interrupted, %d not run. %d at a time, %.1fs.\n\n",
		c.Total, c.Graded, c.Passed, c.NotPassed, c.Partial, c.Error, c.Timeout, c.Interrupted, c.NotRun, s.Parallel, s.Seconds)
	if s.Selection != "" {
		fmt.Fprintf(&b, "Partial grades: checks were left out (%s).\n\n", mdText(s.Selection))
	}
	b.WriteString("## Checks, most failed first\n\n| check | passed | failed | errors | pass rate |\n|---|---:|---:|---:|---:|\n")
	for _, ch := range s.ByMostFailed() {
		fmt.Fprintf(&b, "| %s | %d/%d | %d | %d | %.0f%% |\n", mdText(ch.ID), ch.Passed, ch.Ran, ch.Failed, ch.Errors, ch.PassRate)
	}
	b.WriteString("\n## Submissions\n\n| id | score | outcome | failed checks | seconds |\n|---|---:|---|---|---:|\n")
	for _, e := range s.Submissions {
		score := "-"
		if e.Score != nil {
			score = fmt.Sprintf("%d/%d", *e.Score, *e.MaxScore)
		}
		out := string(e.Outcome)
		if e.Resumed {
			out += " (kept)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.1f |\n", mdText(e.ID), score, out, mdText(strings.Join(e.Failed, ", ")), e.Seconds)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText is learner text for a Markdown table cell: '<', '>' and '&' are
// entities (no HTML tag, no entity of the learner's), and every other
// punctuation mark Markdown gives a meaning is backslash-escaped, so an
// id can make no link, image, emphasis or extra column.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range report.Safe(s) {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case strings.ContainsRune("\\`*_{}[]()#+-.!|~\"'=:@", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
