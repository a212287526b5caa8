package report

import (
	"fmt"
	"io"
	"os"

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
}

// Emit writes r to stdout in the chosen format and to the report files.
// Everything learner-facing is redacted (hidden checks' details removed).
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
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return f.Close()
}
