package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() *result.Result {
	r := &result.Result{
		Lab: "k8s-serving", Title: "Serve a model", PassingScore: 70, DurationSeconds: 42.5,
		Phases: []result.Phase{{Name: "cluster", Seconds: 30}, {Name: "checks", Seconds: 2.5}},
		Checks: []result.Check{
			{ID: "replicas", Title: "Two replicas", Outcome: result.Pass, MaxPoints: 10, Severity: "required", DurationSeconds: 0.2},
			{ID: "probe", Title: "Readiness probe", Outcome: result.Fail, MaxPoints: 10, Severity: "recommended",
				Message: `Deployment/model: spec.template.spec.containers[name=server].readinessProbe: expected {}, got <absent>`,
				Hints:   []string{"What tells a Service a pod is ready?", "readinessProbe.httpGet"}, DurationSeconds: 5},
			{ID: "hidden-check", Title: "Hidden expectation", Outcome: result.Fail, MaxPoints: 5, Severity: "recommended", Hidden: true,
				Message: "the concealed expectation", Hints: []string{"concealed hint"}, DurationSeconds: 1},
			{ID: "answers", Title: "Service answers", Outcome: result.Error, MaxPoints: 5, Severity: "recommended",
				Message: "the API server did not answer", DurationSeconds: 3},
		},
		Problems:    []string{"submission/deploy.yaml:3: Deployment/model: spec.replicas: Invalid value: -1"},
		Environment: result.Environment{Labgrade: "test", Kind: "v0.33.0", Kubernetes: "v1.37.2"},
	}
	r.Tally()
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, got, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err, "run go test ./grader/report -update to create it")
	assert.Equal(t, string(want), string(got))
}

func TestTerminal(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Terminal(&b, Redact(sample()), false))
	golden(t, "terminal.golden", b.Bytes())
	assert.NotContains(t, b.String(), "concealed", "hidden details leak")
	assert.NotContains(t, b.String(), "\x1b[", "no colour when not asked")
	b.Reset()
	require.NoError(t, Terminal(&b, sample(), true))
	assert.Contains(t, b.String(), "\x1b[31m✗\x1b[0m")
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JSON(&b, Redact(sample())))
	golden(t, "report.json.golden", b.Bytes())
	var back map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	for _, k := range []string{"schemaVersion", "lab", "score", "maxScore", "passed", "durationSeconds", "phases", "checks"} {
		assert.Contains(t, back, k)
	}
	assert.NotContains(t, b.String(), "concealed")
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, Redact(sample())))
	golden(t, "junit.xml.golden", b.Bytes())
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc), "well-formed XML")
	assert.Equal(t, 4, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	assert.Equal(t, 1, doc.Errors)
	assert.NotContains(t, b.String(), "concealed")
}
