package lablint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
)

const labYAML = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  passingScore: 70
  cluster:
    images:
    - {name: labgrade.local/app:1.0, build: app}
  checks:
  - id: deploy
    title: The app runs
    points: 10
    hints: [Deploy it.]
    resource: {apiVersion: apps/v1, kind: Deployment, name: app}
  - id: service
    title: The app has a Service
    points: 5
    resource: {apiVersion: v1, kind: Service, name: app}
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: app, image: IMAGE}
`

func writeLab(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func lint(t *testing.T, files map[string]string) []string {
	t.Helper()
	l, err := lab.Load(writeLab(t, files))
	require.NoError(t, err)
	var out []string
	for _, p := range Lint(l) {
		out = append(out, p.String())
	}
	return out
}

func TestLint(t *testing.T) {
	good := map[string]string{
		"lab.yaml":                  strings.Replace(labYAML, "    points: 5\n", "    points: 5\n    hints: [Expose it.]\n", 1),
		"app/Dockerfile":            "FROM scratch\n",
		"solution/deployment.yaml":  strings.Replace(deployment, "IMAGE", "labgrade.local/app:1.0", 1),
		"broken/no-svc/expect.yaml": "failing: [service]\n",
	}
	assert.Empty(t, lint(t, good))

	bad := map[string]string{
		"lab.yaml":                 labYAML,
		"app/Dockerfile":           "FROM scratch\n",
		"solution/deployment.yaml": strings.Replace(deployment, "IMAGE", "nginx:1.27", 1),
		"broken/typo/expect.yaml":  "failing: [servce]\n",
	}
	got := strings.Join(lint(t, bad), "\n")
	assert.Contains(t, got, `lab.yaml:17:9: check "service" has no hint`)
	assert.Contains(t, got, "solution/deployment.yaml:1:1: Deployment/app uses image nginx:1.27, which is not one of spec.cluster.images")
	assert.Contains(t, got, `broken/typo/expect.yaml: failing names "servce", which is not a check`)

	zero := map[string]string{}
	for k, v := range good {
		zero[k] = v
	}
	zero["lab.yaml"] = strings.Replace(good["lab.yaml"], "passingScore: 70", "passingScore: 0", 1)
	assert.Contains(t, strings.Join(lint(t, zero), "\n"), "lab.yaml:7:17: passingScore 0 passes every submission")

	delete(bad, "broken/typo/expect.yaml")
	delete(bad, "solution/deployment.yaml")
	got = strings.Join(lint(t, bad), "\n")
	assert.Contains(t, got, "the lab has no solution/ directory")
	assert.Contains(t, got, "no broken variants")
}
