// Package result is the outcome of grading one lab: per-check outcomes, the
// score, the verdict and the exit code. Its JSON form is labgrade's
// documented, versioned report schema (docs/report-schema.md).
package result

import (
	"fmt"
	"strings"
)

// SchemaVersion of the JSON report. Bump it on any incompatible change.
const SchemaVersion = 1

// Outcome of one check.
type Outcome string

// Outcomes. Error means the environment or the lab broke, not the learner:
// it is never scored as a learner failure.
const (
	Pass  Outcome = "pass"
	Fail  Outcome = "fail"
	Error Outcome = "error"
)

// Check is the result of one check.
type Check struct {
	ID        string  `json:"id"`
	Title     string  `json:"title"`
	Outcome   Outcome `json:"outcome"`
	Points    int     `json:"points"`
	MaxPoints int     `json:"maxPoints"`
	Severity  string  `json:"severity"`
	// Hidden checks count, but learner-facing reports show only their
	// title and points.
	Hidden bool `json:"hidden,omitempty"`
	// Message says why the check did not pass (empty on pass).
	Message string `json:"message,omitempty"`
	// Hints are the lab's hints, given when the check did not pass.
	Hints           []string `json:"hints,omitempty"`
	DurationSeconds float64  `json:"durationSeconds"`
	// Subject is the object the check is about (Kind/name), and File and
	// Line where the submission declares it, when it does.
	Subject string `json:"subject,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	// Diagnostics are what a person would look at next when the check did
	// not pass.
	Diagnostics *Diagnostics `json:"diagnostics,omitempty"`
}

// Diagnostics of a check that did not pass: the object as the API server
// has it (without managedFields), the Events about it, and its pods that
// are not ready, with their last log lines.
type Diagnostics struct {
	// Summary is one short line for the scorecard, when there is one
	// worth more than the object itself.
	Summary string         `json:"summary,omitempty"`
	Object  map[string]any `json:"object,omitempty"`
	Events  []string       `json:"events,omitempty"`
	Pods    []PodDiagnosis `json:"pods,omitempty"`
}

// PodDiagnosis is a pod that is not ready.
type PodDiagnosis struct {
	Name       string               `json:"name"`
	Phase      string               `json:"phase"`
	Conditions []string             `json:"conditions,omitempty"`
	Containers []ContainerDiagnosis `json:"containers"`
}

// ContainerDiagnosis is one container of such a pod.
type ContainerDiagnosis struct {
	Name     string   `json:"name"`
	State    string   `json:"state"`
	Restarts int32    `json:"restarts"`
	LastLogs []string `json:"lastLogs,omitempty"`
}

// Phase is one timed step of a run (cluster, images, setup, submission,
// checks, cleanup).
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Environment records what graded the lab, for reproducing a result.
type Environment struct {
	Labgrade   string `json:"labgrade"`
	Kind       string `json:"kind,omitempty"`
	Kubernetes string `json:"kubernetes,omitempty"`
	NodeImage  string `json:"nodeImage,omitempty"`
	Cluster    string `json:"cluster,omitempty"`
	// LabDigest identifies the lab's files (sha256:...).
	LabDigest string `json:"labDigest,omitempty"`
	// Registry is REGISTRY/PREFIX when the lab's images were pushed there
	// and the cluster ran them from it: every labgrade.local/NAME the lab
	// and the submission name was REGISTRY/PREFIX/NAME in the cluster.
	Registry string `json:"registry,omitempty"`
}

// Refusal is an object or a file of the submission that labgrade refused
// before applying anything: it is not applied, and the learner has to fix
// or remove it.
type Refusal struct {
	// File and Line are where the submission has it (Line 0: the whole
	// file, or unknown).
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	// Object is Kind/name, empty when a whole file is refused.
	Object string `json:"object,omitempty"`
	// Why it was refused and what to do.
	Why string `json:"why"`
}

// String is "file:line: Kind/name: why", leaving out what is unknown.
func (r Refusal) String() string {
	s := r.File
	if r.Line > 0 {
		s += fmt.Sprintf(":%d", r.Line)
	}
	if r.Object != "" {
		s += ": " + r.Object
	}
	return s + ": " + r.Why
}

// RefusalLines is rs, one String a line.
func RefusalLines(rs []Refusal) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}

// Verdict of a run.
type Verdict string

// Verdicts.
const (
	Passed    Verdict = "passed"
	NotPassed Verdict = "not-passed"
	Errored   Verdict = "error"
	// Partial: checks were left out (Skipped) and nothing that ran rules a
	// pass out. It is never a pass: only a full grade passes a lab.
	Partial Verdict = "partial"
)

// Result is a whole run.
type Result struct {
	SchemaVersion int    `json:"schemaVersion"`
	Lab           string `json:"lab"`
	Title         string `json:"title"`
	// Submission names what was graded, when the grader gave it a name
	// (lab test's case, batch's submission id).
	Submission string `json:"submission,omitempty"`
	// Namespace is where it was graded.
	Namespace       string  `json:"namespace,omitempty"`
	Score           int     `json:"score"`
	MaxScore        int     `json:"maxScore"`
	Percent         float64 `json:"percent"`
	PassingScore    int     `json:"passingScore"`
	Passed          bool    `json:"passed"`
	Verdict         Verdict `json:"verdict"`
	DurationSeconds float64 `json:"durationSeconds"`
	// Phases in the order they ran.
	Phases []Phase `json:"phases"`
	Checks []Check `json:"checks"`
	// Skipped are the ids of the lab's checks this run left out, in lab
	// order. Any makes the run a partial grade: score, maxScore and percent
	// count only the checks that ran, and passed is false.
	Skipped []string `json:"skipped,omitempty"`
	// SkippedPoints is what the skipped checks are worth.
	SkippedPoints int `json:"skippedPoints,omitempty"`
	// Selection is how the checks were picked (e.g. "--quick"), set when
	// some were left out: it tells how to get the full grade.
	Selection string `json:"selection,omitempty"`
	// Refused are the objects and files of the submission labgrade would
	// not apply (an object in another namespace, a file it will not read),
	// in the order found. Any makes the run not pass (verdict not-passed,
	// unless an environment error makes it error).
	Refused []Refusal `json:"refused,omitempty"`
	// Problems are what went wrong outside checks: manifests of the
	// submission the API server refused (learner's), or an environment
	// failure (then Verdict is error).
	Problems    []string    `json:"problems,omitempty"`
	Environment Environment `json:"environment"`
	// EnvironmentError is set when the run could not grade at all.
	EnvironmentError string `json:"environmentError,omitempty"`
}

// Tally computes score, percent, verdict and passed from the checks. A run
// passes when no check errored, nothing of the submission was refused, the
// percentage reaches the passing score, and every required check passed. A
// run with refusals is not-passed (error if the environment also failed).
// A run that left checks out never
// passes: it is not-passed when what ran already decides it (a required
// check did not pass, or the score cannot reach the passing score even if
// every skipped check passed), else partial.
func (r *Result) Tally() {
	r.SchemaVersion = SchemaVersion
	r.Score, r.MaxScore = 0, 0
	requiredOK, errored := true, r.EnvironmentError != ""
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Points = 0
		if c.Outcome == Pass {
			c.Points = c.MaxPoints
		}
		r.Score += c.Points
		r.MaxScore += c.MaxPoints
		if c.Outcome == Error {
			errored = true
		}
		if c.Severity == "required" && c.Outcome != Pass {
			requiredOK = false
		}
	}
	if r.MaxScore > 0 {
		r.Percent = float64(r.Score) * 100 / float64(r.MaxScore)
	}
	switch {
	case errored:
		r.Verdict, r.Passed = Errored, false
	case len(r.Refused) > 0:
		r.Verdict, r.Passed = NotPassed, false
	case len(r.Skipped) > 0:
		r.Verdict, r.Passed = Partial, false
		best := float64(r.Score+r.SkippedPoints) * 100 / float64(max(1, r.MaxScore+r.SkippedPoints))
		if !requiredOK || best < float64(r.PassingScore) {
			r.Verdict = NotPassed
		}
	case requiredOK && r.Percent >= float64(r.PassingScore) && r.MaxScore > 0:
		r.Verdict, r.Passed = Passed, true
	default:
		r.Verdict, r.Passed = NotPassed, false
	}
}

// Exit codes of labgrade run and check.
const (
	ExitPassed    = 0
	ExitNotPassed = 1
	ExitError     = 2 // usage, lab or environment error
	// ExitPartial: checks were left out and every check that ran allows a
	// pass. Not 0, so no script mistakes a partial grade for a pass.
	ExitPartial = 3
)

// ExitCode maps the verdict to the process exit code.
func (r *Result) ExitCode() int {
	switch r.Verdict {
	case Passed:
		return ExitPassed
	case NotPassed:
		return ExitNotPassed
	case Partial:
		return ExitPartial
	}
	return ExitError
}

// Failing lists the ids of checks that did not pass.
func (r *Result) Failing() []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Outcome != Pass {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
