// Package ciinit writes a GitHub Actions workflow that grades a course
// repository's submission with labgrade on every push: install labgrade,
// run the lab on the pushed directory, publish the scorecard in the job
// summary and annotations, and upload the learner-facing reports.
package ciinit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"text/template"
)

// Options of the workflow.
type Options struct {
	// Lab to grade (a built-in lab name, or one under LabsDir).
	Lab string
	// Submission is the directory of the repository that is graded.
	Submission string
	// LabsDir, when set, is a directory of labs in the repository.
	LabsDir string
	// Version of labgrade to install (a module version or "latest").
	Version string
}

// DefaultPath is where the workflow is written.
const DefaultPath = ".github/workflows/labgrade.yml"

var safe = regexp.MustCompile(`^[A-Za-z0-9._/@+-]+$`)

var workflow = template.Must(template.New("workflow").Parse(`# Written by labgrade ci init: grades {{.Submission}} with the {{.Lab}} lab on every push.
name: labgrade
on:
  push:
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
    - uses: actions/checkout@v4
    - uses: actions/setup-go@v5
      with:
        go-version: stable
    - name: Install labgrade
      run: go install github.com/labgrade/labgrade/cmd/labgrade@{{.Version}}
    - name: Check the runner
      run: labgrade doctor
    - name: Grade
      # Exit 0 passed, 1 not passed, 2 could not grade (never the learner's fault).
      # The scorecard goes to the job summary; failing checks are annotated
      # on the submission's files. Hidden checks show only title and points.
      run: >-
        labgrade run {{.Lab}}{{if .LabsDir}} --labs-dir {{.LabsDir}}{{end}} --submission {{.Submission}} --ci
        --junit reports/junit.xml --json reports/result.json
    - name: Upload reports
      if: always()
      uses: actions/upload-artifact@v4
      with:
        name: labgrade-reports
        path: reports/
        # Do not add labgrade's --artifacts directory here in a repository
        # learners can read: it holds the hidden checks' details.
`))

// Workflow renders the workflow file.
func Workflow(o Options) ([]byte, error) {
	if o.Version == "" {
		o.Version = "latest"
	}
	if o.Submission == "" {
		o.Submission = "submission"
	}
	for name, v := range map[string]string{"lab": o.Lab, "submission": o.Submission, "version": o.Version} {
		if !safe.MatchString(v) {
			return nil, fmt.Errorf("%s %q: use letters, digits and ._/@+- only", name, v)
		}
	}
	if o.LabsDir != "" && !safe.MatchString(o.LabsDir) {
		return nil, fmt.Errorf("labs dir %q: use letters, digits and ._/@+- only", o.LabsDir)
	}
	var b bytes.Buffer
	err := workflow.Execute(&b, o)
	return b.Bytes(), err
}

// ErrExists is returned when the file is already there and force is off.
var ErrExists = errors.New("already exists")

// Write writes the workflow to path, creating its directory; an existing
// file is left alone unless force is set.
func Write(path string, o Options, force bool) error {
	content, err := Workflow(o)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("%s %w; pass --force to replace it", path, ErrExists)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, content, 0o644)
}
