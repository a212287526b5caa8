package match

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMatch(t *testing.T) {
	actual := `
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: sidecar
        image: envoy:1.0
      - name: server
        image: model:1.0
        readinessProbe: {httpGet: {path: /readyz, port: 8080}}
        resources: {limits: {memory: 1Gi, cpu: 500m}}
`
	cases := []struct {
		name, expected, path string // path == "" means it must match
	}{
		{"absent keys are ignored", `{spec: {replicas: 2}}`, ""},
		{"list subset any order", `{spec: {template: {spec: {containers: [{name: server}, {name: sidecar}]}}}}`, ""},
		{"empty mapping asks existence", `{spec: {template: {spec: {containers: [{name: server, readinessProbe: {}}]}}}}`, ""},
		{"missing nested key", `{spec: {template: {spec: {containers: [{name: sidecar, readinessProbe: {}}]}}}}`,
			"spec.template.spec.containers[name=sidecar].readinessProbe"},
		{"quantities compare by value", `{spec: {template: {spec: {containers: [{name: server, resources: {limits: {memory: 1024Mi, cpu: 0.5}}}]}}}}`, ""},
		{"quantity differs", `{spec: {template: {spec: {containers: [{name: server, resources: {limits: {memory: 2Gi}}}]}}}}`,
			"spec.template.spec.containers[name=server].resources.limits.memory"},
		{"int vs float", `{spec: {replicas: 2.0}}`, ""},
		{"scalar differs", `{spec: {replicas: 3}}`, "spec.replicas"},
		{"null means absent", `{spec: {paused: null}}`, ""},
		{"null but present", `{spec: {replicas: null}}`, "spec.replicas"},
		{"distinct elements", `{spec: {template: {spec: {containers: [{name: server}, {name: server}]}}}}`,
			"spec.template.spec.containers[name=server]"},
		{"strings are not quantities", `{spec: {template: {spec: {containers: [{name: server, image: "model:1.1"}]}}}}`,
			"spec.template.spec.containers[name=server].image"},
		{"type mismatch", `{spec: {template: "x"}}`, "spec.template"},
	}
	act := obj(t, actual)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Match(obj(t, c.expected), act, "")
			if c.path == "" {
				assert.Nil(t, m)
				return
			}
			if assert.NotNil(t, m) {
				assert.Equal(t, c.path, m.Path, m.String())
			}
		})
	}
}

func TestMismatchMessage(t *testing.T) {
	m := Match(obj(t, `{spec: {replicas: 3}}`), obj(t, `{spec: {replicas: 1}}`), "")
	assert.Equal(t, "spec.replicas: expected 3, got 1", m.String())
	m = Match(obj(t, `{metadata: {labels: {app: x}}}`), obj(t, `{metadata: {}}`), "")
	assert.Equal(t, `metadata.labels: expected {"app":"x"}, got <absent>`, m.String())
}
