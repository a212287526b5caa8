package lab

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

const goodLab = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  passingScore: 70
  setup: [{apply: scenario/}]
  checks:
  - id: deploy
    title: The Deployment has two replicas
    points: 10
    severity: required
    hints: [look at spec.replicas]
    resource:
      apiVersion: apps/v1
      kind: Deployment
      name: web
      expect: {spec: {replicas: 2}}
      cel: ["object.spec.replicas >= 2"]
  - id: no-latest
    title: No image uses latest
    points: 5
    dependsOn: [deploy]
    timeout: 10s
    absent:
      apiVersion: v1
      kind: Pod
      cel: ["object.spec.containers.exists(c, c.image.endsWith(':latest'))"]
  - id: answers
    title: The Service answers
    points: 5
    visibility: hidden
    http: {service: web, port: 80, path: /healthz}
`

// writeLab makes a lab directory named demo holding lab.yaml and scenario/.
func writeLab(t *testing.T, content string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scenario"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o644))
	return dir
}

func TestLoadGood(t *testing.T) {
	l, err := Load(writeLab(t, goodLab))
	require.NoError(t, err)
	assert.Equal(t, "demo", l.Name())
	assert.Equal(t, 20, l.MaxScore())
	c, ok := l.Check("no-latest")
	require.True(t, ok)
	assert.Equal(t, spec.SeverityRecommended, c.Severity, "default severity")
	assert.Equal(t, "10s", c.Timeout.String())
	h, _ := l.Check("answers")
	assert.Equal(t, "GET", h.HTTP.Method)
	assert.Equal(t, 200, h.HTTP.Status)
	assert.Equal(t, DefaultTimeout, h.Timeout.Duration)
	d, _ := l.Check("deploy")
	progs, err := d.Resource.Programs()
	require.NoError(t, err)
	assert.Len(t, progs, 1, "the CEL is compiled once, at load")
	assert.Equal(t, 12, l.Line("spec.checks[0].points"))
}

// oneOfKinds is every kind's name, as the loader lists them.
var oneOfKinds = strings.Join(spec.KindNames[:len(spec.KindNames)-1], ", ") + " or " + spec.KindNames[len(spec.KindNames)-1]

func TestLoadBad(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           string // "LINE:COL: message" after the file name
	}{
		{"misspelt field", "    points: 10\n    severity", "    pionts: 10\n    severity",
			`12:5: field "pionts" not allowed in check "deploy" (did you mean "points"?)`},
		{"missing required", "    points: 10\n    severity", "    severity",
			`10:5: missing required field "points" in check "deploy"`},
		{"wrong type", "points: 10\n", "points: ten\n",
			`12:13: field "points" in check "deploy": expected an integer, got the string "ten"`},
		{"unknown top field", "kind: Lab\n", "kind: Lab\nkinds: x\n",
			`3:1: field "kinds" not allowed in the lab (did you mean "kind"?)`},
		{"bad apiVersion", "labgrade.dev/v1alpha1", "labgrade.dev/v1",
			`1:13: apiVersion must be labgrade.dev/v1alpha1, not "labgrade.dev/v1"`},
		{"unknown in target", "      name: web\n", "      nmae: web\n",
			`18:7: field "nmae" not allowed in check "deploy" (did you mean "name"?)`},
		{"bad CEL", `"object.spec.replicas >= 2"`, `"object.spec.replicas >>= 2"`,
			`20:13: check "deploy": CEL "object.spec.replicas >>= 2": ERROR: <input>:1:23: Syntax error`},
		{"duplicate id", "id: answers", "id: deploy",
			`30:9: check id "deploy" is used twice (first by check #0)`},
		{"unknown dependency", "dependsOn: [deploy]", "dependsOn: [deplyo]",
			`24:17: check "no-latest" depends on "deplyo", which is not a check of this lab`},
		{"two kinds", "    http: {service", "    absent: {apiVersion: v1, kind: Pod}\n    http: {service",
			`30:5: check "answers" must have exactly one of ` + oneOfKinds + ` (it has 2)`},
		{"misspelt kind", "    http: {service", "    htpp: {service",
			`34:5: field "htpp" not allowed in check "answers" (did you mean "http"?)`},
		{"kind problem at its field", "path: /healthz", "path: healthz",
			`34:42: http path in check "answers" must start with '/'`},
		{"bad duration", "timeout: 10s", "timeout: 10 seconds", `"10 seconds" is not a duration`},
		{"missing setup dir", "apply: scenario/", "apply: scenery/", `8:19: "scenery/" does not exist`},
		{"bad severity", "severity: required", "severity: must", `13:15: severity of check "deploy" must be required or recommended, not "must"`},
		{"yaml syntax", "  title: Demo\n", "  title: [Demo\n", `YAML syntax`},
		{"name differs from dir", "{name: demo}", "{name: other}", `3:18: metadata.name "other" differs from the lab directory name "demo"`},
		{"zero points", "points: 5\n    dependsOn", "points: 0\n    dependsOn", `23:13: points of check "no-latest" must be more than 0, not 0`},
		{"dependency loop", "    points: 10\n    severity", "    points: 10\n    dependsOn: [no-latest]\n    severity",
			`dependsOn forms a loop: deploy -> no-latest -> deploy`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, goodLab, c.old, "test case edits text that is not in the lab")
			dir := writeLab(t, strings.Replace(goodLab, c.old, c.new, 1))
			_, err := Load(dir)
			require.Error(t, err)
			var le *Error
			require.True(t, errors.As(err, &le))
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(le.Problems[0].String(), filepath.Join(dir, FileName)), "message names the file: %s", err)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lab.yaml not found")
}

const accessLab = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  passingScore: 70
  checks:
  - id: monitor-rbac
    title: The monitor may create Events and not read Secrets
    points: 5
    access:
      serviceAccount: monitor
      expect:
      - {verb: create, resource: events, allowed: true}
      - {verb: list, resource: secrets, group: "", allowed: false}
`

// An access check loads as written, is quick, and is about its service
// account; each mistake an author can make in it is refused at its place.
func TestLoadAccess(t *testing.T) {
	l, err := Load(writeLab(t, accessLab))
	require.NoError(t, err)
	c, _ := l.Check("monitor-rbac")
	require.NotNil(t, c.Access)
	assert.Equal(t, []spec.AccessRequest{{Verb: "create", Resource: "events", Allowed: true}, {Verb: "list", Resource: "secrets", Allowed: false}}, c.Access.Expect)
	assert.True(t, c.IsQuick())
	assert.False(t, c.IsDisruptive() || c.SendsTraffic())
	_, kind, name := c.Subject()
	assert.Equal(t, "ServiceAccount/monitor", kind+"/"+name)

	cases := []struct{ name, old, new, want string }{
		{"allowed is never implied", ", group: \"\", allowed: false}", "}", `16:9: missing required field "allowed" in check "monitor-rbac"`},
		{"a Kind, not a resource", "resource: secrets", "resource: Secrets", `16:32: resource "Secrets" in check "monitor-rbac": RBAC names resources in lower-case plural`},
		{"asked twice", "verb: list, resource: secrets", "verb: create, resource: events", `16:9: expect[1] in check "monitor-rbac" asks about create events again (first expect[0])`},
		{"bad account name", "serviceAccount: monitor", "serviceAccount: Monitor_1", `13:23: serviceAccount "Monitor_1" in check "monitor-rbac" is not a valid service account name`},
		{"nothing asked", "      expect:\n      - {verb: create, resource: events, allowed: true}\n      - {verb: list, resource: secrets, group: \"\", allowed: false}\n", "      expect: []\n",
			`13:7: access in check "monitor-rbac" needs expect: the requests to ask about`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, accessLab, c.old)
			_, err := Load(writeLab(t, strings.Replace(accessLab, c.old, c.new, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestLoadSubmissionAllow: a cluster-scoped kind a lab allows loads with
// compiled rules; a rule that does not compile, or a kind without a name,
// is refused at its place.
func TestLoadSubmissionAllow(t *testing.T) {
	allowLab := strings.Replace(accessLab, "  passingScore: 70\n", `  passingScore: 70
  submission:
    allow:
    - apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      max: 2
      cel: [object.value <= 1000]
`, 1)
	l, err := Load(writeLab(t, allowLab))
	require.NoError(t, err)
	require.Len(t, l.Spec.Submission.Allow, 1)
	progs, err := l.Spec.Submission.Allow[0].Programs()
	require.NoError(t, err)
	ok, err := progs[0].Eval(map[string]any{"object": map[string]any{"value": int64(100)}, "objects": []any{}})
	require.NoError(t, err)
	assert.True(t, ok)

	_, err = Load(writeLab(t, strings.Replace(allowLab, "object.value <= 1000", "object.value <=", 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "13:13: spec.submission.allow[0].cel[0]")
	_, err = Load(writeLab(t, strings.Replace(allowLab, "      kind: PriorityClass\n", "", 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `10:7: missing required field "kind" in spec.submission.allow[0]`)
}
