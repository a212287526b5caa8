package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/labgrade/labgrade/grader/result"
)

// Options choose the outputs of one run.
type Options struct {
	// Format of standard output: text (the scorecard) or json.
	Format string
	// Color the scorecard (only on a terminal).
	Color bool
	// JUnitPath, when set, receives JUnit XML.
	JUnitPath string
	// JSONPath, when set, receives the JSON report.
	JSONPath string
	// GradescopePath, when set, receives Gradescope's results.json.
	GradescopePath string
	// StepSummaryPath, when set ($GITHUB_STEP_SUMMARY), has a Markdown
	// scorecard appended.
	StepSummaryPath string
	// Annotations, when set, receives GitHub Actions ::error
	// commands for the checks that did not pass.
	Annotations io.Writer
	// ArtifactsDir, when set, receives the full, unredacted reports and
	// each failed check's diagnostics: for staff, never for learners.
	ArtifactsDir string
}

// Emit writes r to stdout in the chosen format and to the report files.
// Everything learner-facing is redacted (hidden checks' details removed),
// and every writer prints r's strings through Safe. A run that could not
// grade (verdict error) writes no Gradescope results (see ErrNotGraded)
// and removes any at that path.
func Emit(stdout io.Writer, r *result.Result, o Options) error {
	shown := Redact(r)
	switch o.Format {
	case "", "text":
		if err := Terminal(stdout, shown, o.Color); err != nil {
			return err
		}
	case "json":
		if err := JSON(stdout, shown); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown output format %q (text or json)", o.Format)
	}
	if o.JUnitPath != "" {
		if err := writeFile(o.JUnitPath, func(w io.Writer) error { return JUnit(w, shown) }); err != nil {
			return err
		}
	}
	if o.JSONPath != "" {
		if err := writeFile(o.JSONPath, func(w io.Writer) error { return JSON(w, shown) }); err != nil {
			return err
		}
	}
	if o.GradescopePath != "" {
		if notGraded(shown) {
			// Not graded: no results.json, so that Gradescope says the
			// autograder failed rather than record a grade (ErrNotGraded);
			// nor one left from an earlier run. The other outputs still
			// say why.
			if err := os.Remove(o.GradescopePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", o.GradescopePath, err)
			}
		} else if err := writeFile(o.GradescopePath, func(w io.Writer) error { return Gradescope(w, shown) }); err != nil {
			return err
		}
	}
	if o.StepSummaryPath != "" {
		f, err := os.OpenFile(o.StepSummaryPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("writing the step summary: %w", err)
		}
		if err := StepSummary(f, shown); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if o.Annotations != nil {
		if err := Annotations(o.Annotations, shown); err != nil {
			return err
		}
	}
	if o.ArtifactsDir != "" {
		return Artifacts(o.ArtifactsDir, r)
	}
	return nil
}

// Artifacts writes the full result for staff into dir: result.json,
// junit.xml and scorecard.txt with hidden checks' details, and
// diagnostics/<check>.json for every check that has diagnostics. Staff
// files are unredacted, not unsafe: their strings go through Safe too.
func Artifacts(dir string, r *result.Result) error {
	if err := os.MkdirAll(filepath.Join(dir, "diagnostics"), 0o755); err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	files := map[string]func(io.Writer) error{
		"result.json":   func(w io.Writer) error { return JSON(w, r) },
		"junit.xml":     func(w io.Writer) error { return JUnit(w, r) },
		"scorecard.txt": func(w io.Writer) error { return Terminal(w, r, false) },
	}
	for name, write := range files {
		if err := writeFile(filepath.Join(dir, name), write); err != nil {
			return err
		}
	}
	for _, c := range sanitize(r).Checks {
		if c.Diagnostics == nil {
			continue
		}
		d := c.Diagnostics
		if err := writeFile(filepath.Join(dir, "diagnostics", fileName(c.ID)+".json"), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		}); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path) // no half-written report for a CI job to read
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return f.Close()
}

// fileName is id as a file name: a check id is lower-case letters, digits
// and '-' (the lab schema), and anything else becomes '_', so no id names
// a path outside the directory.
func fileName(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, id)
}
