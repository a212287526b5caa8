package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

// refusedSample: every check passed, but two things of the submission
// were refused, an object and a whole file.
func refusedSample() *result.Result {
	r := &result.Result{
		Lab: "k8s-serving", Title: "Serve a model", PassingScore: 70, DurationSeconds: 12,
		Phases: []result.Phase{{Name: "submission", Seconds: 1}, {Name: "checks", Seconds: 2}},
		Checks: []result.Check{
			{ID: "replicas", Title: "Two replicas", Outcome: result.Pass, MaxPoints: 10, Severity: "required", DurationSeconds: 0.2},
			{ID: "probe", Title: "Readiness probe", Outcome: result.Pass, MaxPoints: 10, Severity: "recommended", DurationSeconds: 0.3},
		},
		Refused: []result.Refusal{
			{File: "submission/escape.yaml", Line: 7, Object: "Deployment/miner",
				Why: `names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`},
			{File: "submission/secrets.yaml", Why: "a symlink to a file outside the submission (not read)"},
		},
		Environment: result.Environment{Labgrade: "test"},
	}
	r.Tally()
	return r
}

// envSample: the environment failed before any check (kind could not
// create the cluster): no phases, no checks.
func envSample() *result.Result {
	r := &result.Result{Lab: "k8s-serving", Title: "Serve a model", PassingScore: 70, DurationSeconds: 3,
		EnvironmentError: "creating kind cluster labgrade-k8s-serving failed 3 times, the last with: docker: connection refused\nstart Docker, or run labgrade doctor",
		Environment:      result.Environment{Labgrade: "test"}}
	r.Tally()
	return r
}

// What was refused comes first in every format, says where and why, and
// the run does not pass although every check did.
func TestRefusedReports(t *testing.T) {
	r := refusedSample()
	require.Equal(t, result.NotPassed, r.Verdict, "refusals make the run not pass")
	require.Equal(t, 1, r.ExitCode())
	require.Equal(t, 20, r.Score, "the checks keep their points")
	lines := []string{
		`submission/escape.yaml:7: Deployment/miner: names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`,
		"submission/secrets.yaml: a symlink to a file outside the submission (not read)",
	}

	var b bytes.Buffer
	require.NoError(t, Terminal(&b, Redact(r), false))
	golden(t, "terminal-refused.golden", b.Bytes())
	out := b.String()
	for _, l := range lines {
		require.Contains(t, out, "    "+l+"\n")
		assert.Less(t, strings.Index(out, l), strings.Index(out, "Two replicas"), "refusals before the checks")
	}
	assert.Contains(t, out, "NOT PASSED (2 refused from the submission)")

	b.Reset()
	require.NoError(t, JSON(&b, Redact(r)))
	var back struct {
		Verdict string           `json:"verdict"`
		Passed  bool             `json:"passed"`
		Refused []map[string]any `json:"refused"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, "not-passed", back.Verdict)
	assert.False(t, back.Passed)
	require.Len(t, back.Refused, 2)
	assert.Equal(t, map[string]any{"file": "submission/escape.yaml", "line": 7.0, "object": "Deployment/miner",
		"why": `names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`}, back.Refused[0])
	assert.Equal(t, map[string]any{"file": "submission/secrets.yaml", "why": "a symlink to a file outside the submission (not read)"}, back.Refused[1],
		"a whole file: no line, no object")

	b.Reset()
	require.NoError(t, JUnit(&b, Redact(r)))
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	s := doc.Suites[0]
	assert.Equal(t, 3, s.Tests)
	assert.Equal(t, 1, s.Failures, "CI shows the run red")
	assert.Equal(t, 1, doc.Failures)
	sub := s.Cases[0]
	assert.Equal(t, "submission", sub.Name)
	require.NotNil(t, sub.Failure)
	assert.Equal(t, "refused", sub.Failure.Type)
	assert.Contains(t, sub.Failure.Message, "Refused from your submission (2,")
	assert.Equal(t, strings.Join(lines, "\n"), sub.Failure.Text)

	b.Reset()
	require.NoError(t, Gradescope(&b, Redact(r)))
	golden(t, "results-refused.json.golden", b.Bytes())
	var gs gradescopeResults
	require.NoError(t, json.Unmarshal(b.Bytes(), &gs))
	assert.Equal(t, 20, gs.Score, "what was applied earned its points; the refusals earn none")
	assert.Contains(t, gs.Output, "NOT PASSED (2 refused from the submission)")
	require.Len(t, gs.Tests, 3)
	first := gs.Tests[0]
	assert.Equal(t, "Your submission", first.Name)
	assert.Equal(t, "failed", first.Status)
	assert.Equal(t, 0, first.Score)
	assert.Equal(t, 0, first.MaxScore)
	for _, l := range lines {
		assert.Contains(t, first.Output, l)
	}
	assert.Equal(t, "1", gs.Tests[1].Number, "the checks keep their numbers")

	b.Reset()
	require.NoError(t, StepSummary(&b, Redact(r)))
	md := b.String()
	assert.Contains(t, md, "### ❌ Refused from your submission (2, not applied; the run cannot pass until each is fixed or removed):")
	assert.Contains(t, md, "- submission/secrets.yaml: a symlink to a file outside the submission (not read)\n")
	assert.Less(t, strings.Index(md, "Refused"), strings.Index(md, "| points |"), "before the table")

	b.Reset()
	require.NoError(t, Annotations(&b, Redact(r)))
	ann := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, ann, 2, "one per refusal; every check passed")
	assert.True(t, strings.HasPrefix(ann[0], "::error file=submission/escape.yaml,line=7,title=refused%3A Deployment/miner::names namespace"), ann[0])
	assert.Equal(t, "::error file=submission/secrets.yaml,title=refused::a symlink to a file outside the submission (not read)", ann[1])

	b.Reset()
	prev := refusedSample()
	require.NoError(t, Changes(&b, prev, r, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)))
	assert.True(t, strings.HasPrefix(b.String(), "[00:00:00] refused: "+lines[0]+"\n"), b.String())
}

// An environment error before any check: lists stay lists, JUnit shows an
// errored testcase with the cause (never tests="0" errors="0", which CI
// shows green), and Gradescope gets no score at all.
func TestEnvironmentErrorReports(t *testing.T) {
	r := envSample()
	require.Equal(t, result.Errored, r.Verdict)

	var b bytes.Buffer
	require.NoError(t, JSON(&b, Redact(r)))
	var back map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, []any{}, back["phases"], "a list, as the schema says, not null")
	assert.Equal(t, []any{}, back["checks"])

	b.Reset()
	require.NoError(t, JUnit(&b, Redact(r)))
	golden(t, "junit-environment.xml.golden", b.Bytes())
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 1, doc.Tests)
	assert.Equal(t, 1, doc.Errors)
	c := doc.Suites[0].Cases[0]
	assert.Equal(t, "environment", c.Name)
	require.NotNil(t, c.Error)
	assert.Equal(t, "environment", c.Error.Type)
	assert.Equal(t, "labgrade could not grade (not the learner's fault): creating kind cluster labgrade-k8s-serving failed 3 times, the last with: docker: connection refused", c.Error.Message)
	assert.Equal(t, r.EnvironmentError, c.Error.Text)

	b.Reset()
	assert.ErrorIs(t, Gradescope(&b, Redact(r)), ErrNotGraded)
	assert.Empty(t, b.String(), "no score Gradescope would record as the grade")

	// Emit leaves no results.json (an earlier one is removed) and still
	// writes every other output.
	dir := t.TempDir()
	gsPath, junitPath, jsonPath := filepath.Join(dir, "results.json"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(gsPath, []byte(`{"score": 100}`), 0o644))
	var stdout, stderr bytes.Buffer
	require.NoError(t, Emit(&stdout, r, Options{Format: "text", GradescopePath: gsPath, JUnitPath: junitPath, JSONPath: jsonPath,
		StepSummaryPath: filepath.Join(dir, "summary.md"), Annotations: &stderr}))
	_, err := os.Stat(gsPath)
	assert.ErrorIs(t, err, os.ErrNotExist, "a stale results.json is not taken for this run's")
	for _, p := range []string{junitPath, jsonPath, filepath.Join(dir, "summary.md")} {
		_, err := os.Stat(p)
		assert.NoError(t, err, p)
	}
	assert.Contains(t, stdout.String(), "! could not grade: creating kind cluster labgrade-k8s-serving failed 3 times, the last with: docker: connection refused\n    start Docker, or run labgrade doctor\n",
		"the second line of the cause is indented under the first")

	// A graded run with no checks still gives Gradescope a list.
	empty := &result.Result{Lab: "x", PassingScore: 70}
	empty.Tally()
	b.Reset()
	require.NoError(t, Gradescope(&b, empty))
	var gs map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &gs))
	assert.Equal(t, []any{}, gs["tests"], "tests is a list, not null")
}
