package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
)

// The files of one submission under DIR/<id>/. result.json and
// diagnostics.txt are for staff (hidden checks in full); junit.xml,
// results.json and scorecard.txt are what a learner may be given (hidden
// checks keep only title, outcome and points), all written by the report
// package, which passes every learner string through report.Safe.
const (
	junitFile       = "junit.xml"
	gradescopeFile  = "results.json"
	scorecardFile   = "scorecard.txt"
	diagnosticsFile = "diagnostics.txt"
)

// submissionFiles are every file a grading writes, removed before it
// starts so that nothing of an earlier run passes for this one's.
var submissionFiles = []string{stampFile, resultFile, junitFile, gradescopeFile, scorecardFile, diagnosticsFile}

// clearSubmissionDir makes DIR/<id>/ and empties it of an earlier run's
// files (other files are left alone).
func clearSubmissionDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output for the submission: %w", err)
	}
	for _, f := range submissionFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("output for the submission: %w", err)
		}
	}
	return nil
}

// writeSubmissionFiles writes a grading's files. res is nil when the
// grader never returned (a deadline it ignored): then only the
// diagnostics say so.
func writeSubmissionFiles(dir string, e *Entry, res *result.Result) error {
	var notes []string
	if res != nil {
		shown := report.Redact(res)
		files := []struct {
			name  string
			write func(io.Writer) error
		}{
			{resultFile, func(w io.Writer) error { return report.JSON(w, res) }},
			{junitFile, func(w io.Writer) error { return report.JUnit(w, shown) }},
			{scorecardFile, func(w io.Writer) error { return report.Terminal(w, shown, false) }},
		}
		for _, f := range files {
			if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
				return err
			}
		}
		// Gradescope records whatever score results.json holds: none is
		// written for what is not a full grade (report.ErrNotGraded).
		switch {
		case !e.Outcome.Graded():
			notes = append(notes, "results.json (Gradescope) not written: the submission was not graded ("+string(e.Outcome)+")")
		case len(res.Skipped) > 0:
			notes = append(notes, "results.json (Gradescope) not written: a partial grade ("+res.Selection+") is not a grade to record")
		default:
			if err := writeFile(filepath.Join(dir, gradescopeFile), func(w io.Writer) error { return report.Gradescope(w, shown) }); err != nil {
				return err
			}
		}
	} else {
		notes = append(notes, "no result: the grader did not return")
	}
	return writeFile(filepath.Join(dir, diagnosticsFile), func(w io.Writer) error { return diagnostics(w, e, res, notes) })
}

// diagnostics is the staff's page on one submission: how it was graded,
// why it has no grade if it has none, the full scorecard (hidden checks
// too), and what each check that did not pass saw (Events, pods and their
// last log lines).
func diagnostics(w io.Writer, e *Entry, res *result.Result, notes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "submission: %s\ndirectory:  %s\noutcome:    %s\nnamespace:  %s\nattempts:   %d\nseconds:    %.1f\n",
		report.Safe(e.ID), report.Safe(e.Dir), e.Outcome, e.Namespace, e.Attempts, e.Seconds)
	fmt.Fprintf(&b, "lab digest: %s\nsubmission digest: %s\n", e.stamp.Lab, e.stamp.Submission)
	if e.Message != "" {
		fmt.Fprintf(&b, "why:        %s\n", indent(report.SafeLines(e.Message)))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "note:       %s\n", n)
	}
	if res != nil {
		b.WriteString("phases:    ")
		for _, p := range res.Phases {
			fmt.Fprintf(&b, " %s=%.1fs", report.Safe(p.Name), p.Seconds)
		}
		b.WriteString("\n\n== scorecard (staff: hidden checks in full)\n")
		if err := report.Terminal(&b, res, false); err != nil {
			return err
		}
		for _, c := range res.Checks {
			if c.Outcome == result.Pass || c.Diagnostics == nil {
				continue
			}
			d := c.Diagnostics
			fmt.Fprintf(&b, "== %s (%s)\n", report.Safe(c.ID), c.Outcome)
			if d.Summary != "" {
				fmt.Fprintf(&b, "  seen: %s\n", report.Safe(d.Summary))
			}
			for _, ev := range d.Events {
				fmt.Fprintf(&b, "  event: %s\n", report.Safe(ev))
			}
			for _, p := range d.Pods {
				fmt.Fprintf(&b, "  pod %s: %s %s\n", report.Safe(p.Name), report.Safe(p.Phase), report.Safe(strings.Join(p.Conditions, ", ")))
				for _, ct := range p.Containers {
					fmt.Fprintf(&b, "    container %s: %s, %d restarts\n", report.Safe(ct.Name), report.Safe(ct.State), ct.Restarts)
					for _, l := range ct.LastLogs {
						fmt.Fprintf(&b, "      | %s\n", report.Safe(l))
					}
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n            ") }

func writeStamp(dir string, s Stamp) error {
	return writeFile(filepath.Join(dir, stampFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// writeFile writes path whole or not at all: a file half written (a full
// disk, Ctrl-C) is never left for a rerun or a reader to take.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// safeID is an id for a progress line: ids are checked to hold no control
// character, and Safe keeps it so whatever reaches a log.
func safeID(id string) string { return report.Safe(id) }
