package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
				Hints:   []string{"What tells a Service a pod is ready?", "readinessProbe.httpGet"}, DurationSeconds: 5,
				Subject: "Deployment/model", File: "submission/deploy.yaml", Line: 12,
				Diagnostics: &result.Diagnostics{Summary: "pod model-1: container server waiting: CrashLoopBackOff, 3 restarts",
					Events: []string{"Pod/model-1 Warning BackOff: Back-off restarting failed container"}}},
			{ID: "hidden-check", Title: "Hidden expectation", Outcome: result.Fail, MaxPoints: 5, Severity: "recommended", Hidden: true,
				Message: "the concealed expectation", Hints: []string{"concealed hint"}, DurationSeconds: 1,
				Subject: "Service/concealed", File: "submission/concealed.yaml", Line: 3,
				Diagnostics: &result.Diagnostics{Summary: "concealed diagnosis"}},
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
	assert.Equal(t, 5, doc.Tests, "four checks and the submission's problems")
	assert.Equal(t, 2, doc.Failures)
	assert.Equal(t, 1, doc.Errors)
	sub := doc.Suites[0].Cases[0]
	assert.Equal(t, "submission", sub.Name)
	assert.Nil(t, sub.Failure, "a problem applying the submission is shown, not a failure by itself")
	assert.Contains(t, sub.SystemOut, "submission/deploy.yaml:3: Deployment/model: spec.replicas: Invalid value: -1")
	assert.NotContains(t, b.String(), "concealed")
}

// gradedSample is sample without the errored check (Gradescope writes no
// score for a run that could not grade).
func gradedSample() *result.Result {
	r := sample()
	r.Checks[3].Outcome = result.Fail
	r.Tally()
	return r
}

func TestGradescope(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Gradescope(&b, Redact(gradedSample())))
	golden(t, "results.json.golden", b.Bytes())
	var back struct {
		Score int `json:"score"`
		Tests []struct {
			Name       string `json:"name"`
			Score      int    `json:"score"`
			MaxScore   int    `json:"max_score"`
			Visibility string `json:"visibility"`
			Output     string `json:"output"`
		} `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Len(t, back.Tests, 5, "the submission's problems, then the four checks")
	assert.Equal(t, 10, back.Score)
	assert.Equal(t, "Your submission", back.Tests[0].Name)
	assert.Equal(t, 0, back.Tests[0].MaxScore, "worth nothing: it only shows")
	assert.Contains(t, back.Tests[0].Output, "submission/deploy.yaml:3: Deployment/model: spec.replicas: Invalid value: -1")
	assert.Equal(t, "after_published", back.Tests[3].Visibility, "hidden check")
	assert.Empty(t, back.Tests[3].Output)
	assert.Equal(t, "visible", back.Tests[2].Visibility)
	assert.Contains(t, back.Tests[2].Output, "seen: pod model-1")
	assert.NotContains(t, b.String(), "concealed")

	b.Reset()
	assert.ErrorIs(t, Gradescope(&b, Redact(sample())), ErrNotGraded, "a check the environment broke: no score to record")
	assert.Empty(t, b.String())
}

func TestGitHub(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, StepSummary(&b, Redact(sample())))
	golden(t, "step-summary.md.golden", b.Bytes())
	assert.NotContains(t, b.String(), "concealed")

	b.Reset()
	require.NoError(t, Annotations(&b, Redact(sample())))
	golden(t, "annotations.golden", b.Bytes())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 3, "one per check that did not pass")
	assert.True(t, strings.HasPrefix(lines[0], "::error file=submission/deploy.yaml,line=12,title=Readiness probe (0/10)::"), lines[0])
	assert.NotContains(t, b.String(), "concealed")
	assert.NotContains(t, lines[0], "\n")
}

// Staff get everything: hidden details and diagnostics files.
func TestArtifacts(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, Emit(&out, sample(), Options{Format: "text", ArtifactsDir: dir}))
	assert.NotContains(t, out.String(), "concealed", "stdout is learner-facing")
	full, err := os.ReadFile(filepath.Join(dir, "result.json"))
	require.NoError(t, err)
	assert.Contains(t, string(full), "the concealed expectation")
	diag, err := os.ReadFile(filepath.Join(dir, "diagnostics", "probe.json"))
	require.NoError(t, err)
	assert.Contains(t, string(diag), "CrashLoopBackOff")
	_, err = os.Stat(filepath.Join(dir, "diagnostics", "hidden-check.json"))
	assert.NoError(t, err)
	for _, f := range []string{"junit.xml", "scorecard.txt"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, f)
	}
}

// junitSchema is the shape CI servers accept (the Jenkins/Ant JUnit
// schema that GitLab, GitHub reporters and Jenkins read): for each element,
// its allowed attributes (true = required) and children.
var junitSchema = map[string]struct {
	attrs    map[string]bool
	children []string
}{
	"testsuites": {map[string]bool{"name": false, "tests": false, "failures": false, "errors": false, "time": false, "disabled": false}, []string{"testsuite"}},
	"testsuite": {map[string]bool{"name": true, "tests": true, "failures": false, "errors": false, "skipped": false, "time": false,
		"disabled": false, "timestamp": false, "hostname": false, "id": false, "package": false}, []string{"properties", "testcase", "system-out", "system-err"}},
	"properties": {map[string]bool{}, []string{"property"}},
	"property":   {map[string]bool{"name": true, "value": true}, nil},
	"testcase": {map[string]bool{"name": true, "classname": false, "time": false, "assertions": false, "status": false},
		[]string{"skipped", "error", "failure", "system-out", "system-err"}},
	"skipped":    {map[string]bool{"message": false}, nil},
	"failure":    {map[string]bool{"message": false, "type": false}, nil},
	"error":      {map[string]bool{"message": false, "type": false}, nil},
	"system-err": {map[string]bool{}, nil},
	"system-out": {map[string]bool{}, nil},
}

// TestJUnitMatchesSchema walks the XML and holds every element and
// attribute to the schema; counts and times must be numbers.
func TestJUnitMatchesSchema(t *testing.T) {
	env := sample()
	env.EnvironmentError = "kind create failed"
	env.Tally()
	for name, r := range map[string]*result.Result{"environment error": env, "partial": partialSample(),
		"refused": refusedSample(), "environment error before any check": envSample()} {
		t.Run(name, func(t *testing.T) { junitMatchesSchema(t, r) })
	}
}

func junitMatchesSchema(t *testing.T, r *result.Result) {
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, Redact(r)))
	dec := xml.NewDecoder(&b)
	var stack []string
	cases := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			rule, known := junitSchema[name]
			require.True(t, known, "element <%s> is not in the schema", name)
			if len(stack) == 0 {
				assert.Equal(t, "testsuites", name, "root element")
			} else {
				parent := junitSchema[stack[len(stack)-1]]
				assert.Contains(t, parent.children, name, "<%s> inside <%s>", name, stack[len(stack)-1])
			}
			seen := map[string]bool{}
			for _, a := range el.Attr {
				_, ok := rule.attrs[a.Name.Local]
				assert.True(t, ok, "attribute %s on <%s>", a.Name.Local, name)
				seen[a.Name.Local] = true
				switch a.Name.Local {
				case "tests", "failures", "errors", "skipped":
					assert.Regexp(t, `^[0-9]+$`, a.Value, "%s on <%s>", a.Name.Local, name)
				case "time":
					assert.Regexp(t, `^[0-9]+(\.[0-9]+)?$`, a.Value, "time on <%s>", name)
				}
			}
			for a, required := range rule.attrs {
				if required {
					assert.True(t, seen[a], "<%s> lacks required attribute %s", name, a)
				}
			}
			if name == "testcase" {
				cases++
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	want := len(r.Checks) + len(r.Skipped)
	if len(r.Refused)+len(r.Problems) > 0 {
		want++ // submission
	}
	if r.EnvironmentError != "" {
		want++ // environment
	}
	assert.Equal(t, want, cases, "one testcase per check, run or left out, and for the submission and the environment when they have something to say")
}

func TestChanges(t *testing.T) {
	prev, cur := sample(), sample()
	cur.Checks[1].Outcome, cur.Checks[1].Message, cur.Checks[1].Hints = result.Pass, "", nil
	cur.Checks[2].Outcome = result.Pass // hidden: its title only
	cur.Checks[0].Outcome, cur.Checks[0].Message = result.Fail, "replicas is 1"
	cur.Tally()
	var b bytes.Buffer
	require.NoError(t, Changes(&b, prev, cur, time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)))
	golden(t, "changes.golden", b.Bytes())
	assert.NotContains(t, b.String(), "answers", "an unchanged check is not printed")
	assert.NotContains(t, b.String(), "concealed")
}

// partialSample is a quick grade (--quick): every check that ran passed,
// two were left out.
func partialSample() *result.Result {
	r := &result.Result{
		Lab: "k8s-serving", Title: "Serve a model", PassingScore: 70, DurationSeconds: 0.8,
		Checks: []result.Check{
			{ID: "replicas", Title: "Two replicas", Outcome: result.Pass, MaxPoints: 10, Severity: "required", DurationSeconds: 0.1},
			{ID: "hidden-check", Title: "Hidden expectation", Outcome: result.Fail, MaxPoints: 5, Severity: "recommended", Hidden: true,
				Message: "the concealed expectation", Hints: []string{"concealed hint"}, DurationSeconds: 0.1},
		},
		Skipped: []string{"drift-detects", "rollout"}, SkippedPoints: 30, Selection: "--quick",
		Environment: result.Environment{Labgrade: "test"},
	}
	r.Tally()
	return r
}

// A partial grade says so wherever it is read: which checks were left out
// and how to grade them, a score out of the checks that ran, and a verdict
// that is not PASSED; hidden checks stay redacted.
func TestPartialReports(t *testing.T) {
	r := partialSample()
	require.Equal(t, result.Partial, r.Verdict, "the sample is what it claims to be")

	var b bytes.Buffer
	require.NoError(t, Terminal(&b, Redact(r), false))
	golden(t, "terminal-partial.golden", b.Bytes())
	assert.Contains(t, b.String(), "left out (run without --quick for the full grade): drift-detects, rollout\n")
	assert.Contains(t, b.String(), "Score 10/15 (67%) of the checks run, 30 points left out, passing 70%: PARTIAL (not a full grade)")
	assert.NotContains(t, b.String(), "PASSED")
	assert.NotContains(t, b.String(), "concealed")

	b.Reset()
	require.NoError(t, JSON(&b, Redact(r)))
	golden(t, "report-partial.json.golden", b.Bytes())
	var back struct {
		Passed        bool     `json:"passed"`
		Verdict       string   `json:"verdict"`
		Skipped       []string `json:"skipped"`
		SkippedPoints int      `json:"skippedPoints"`
		Selection     string   `json:"selection"`
		MaxScore      int      `json:"maxScore"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.False(t, back.Passed)
	assert.Equal(t, "partial", back.Verdict)
	assert.Equal(t, []string{"drift-detects", "rollout"}, back.Skipped)
	assert.Equal(t, 30, back.SkippedPoints)
	assert.Equal(t, "--quick", back.Selection)
	assert.Equal(t, 15, back.MaxScore)
	assert.NotContains(t, b.String(), "concealed")

	b.Reset()
	require.NoError(t, JUnit(&b, Redact(r)))
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, 4, s.Tests, "two checks run, two left out")
	assert.Equal(t, 2, s.Skipped)
	require.Len(t, s.Cases, 4)
	assert.Equal(t, "rollout", s.Cases[3].Name)
	require.NotNil(t, s.Cases[3].Skipped)
	assert.Equal(t, "left out: run without --quick for the full grade", s.Cases[3].Skipped.Message)
	assert.Contains(t, b.String(), `<property name="verdict" value="partial"></property>`)

	b.Reset()
	require.NoError(t, StepSummary(&b, Redact(r)))
	assert.Contains(t, b.String(), "**Left out** (run without --quick for the full grade): drift-detects, rollout")
	assert.Contains(t, b.String(), "PARTIAL")

	b.Reset()
	err := Gradescope(&b, Redact(r))
	require.Error(t, err, "Gradescope would record a partial score as the grade")
	assert.Contains(t, err.Error(), "2 checks left out by --quick")
	assert.Empty(t, b.String())
}
