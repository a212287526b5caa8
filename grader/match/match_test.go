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
	m = Match(obj(t, `{metadata: {annotations: {x: null, z: v}}}`), obj(t, `{metadata: {}}`), "")
	assert.Equal(t, `metadata.annotations.z: expected "v", got <absent>`, m.String())
}

// An expected null under a parent that is absent asks for a key that is
// absent too, so it must match; a value under that parent must not.
func TestMatchAbsentParent(t *testing.T) {
	actual := `
metadata:
  name: model
  labels: {app: model}
spec:
  template:
    spec:
      containers:
      - name: sidecar
        image: envoy:1.0
      - name: server
        image: model:1.0
        securityContext: {privileged: true}
`
	cases := []struct {
		name, expected, path string // path == "" means it must match
	}{
		{"all-null children of an absent mapping", `{metadata: {annotations: {x: null}}}`, ""},
		{"all-null children in a list element", `{spec: {template: {spec: {containers: [{name: sidecar, securityContext: {privileged: null}}]}}}}`, ""},
		{"list element still found by its other keys", `{spec: {template: {spec: {containers: [{name: proxy, securityContext: {privileged: null}}]}}}}`,
			"spec.template.spec.containers[name=proxy].name"},
		{"present parent with the key set", `{spec: {template: {spec: {containers: [{name: server, securityContext: {privileged: null}}]}}}}`,
			"spec.template.spec.containers[name=server].securityContext.privileged"},
		{"present parent without the key", `{metadata: {labels: {tier: null}}}`, ""},
		{"null and a value under an absent mapping name the value", `{metadata: {annotations: {a: null, b: v, c: null}}}`,
			"metadata.annotations.b"},
		{"two levels absent", `{spec: {strategy: {rollingUpdate: {maxSurge: null, maxUnavailable: null}}}}`, ""},
		{"two levels absent with a value names the smallest null-free part", `{spec: {strategy: {rollingUpdate: {maxSurge: null}, type: Recreate}}}`,
			"spec.strategy.type"},
		{"empty mapping under an absent parent still asks existence", `{metadata: {annotations: {}}}`, "metadata.annotations"},
		{"empty mapping beside nulls still asks existence", `{spec: {strategy: {rollingUpdate: {}, type: null}}}`,
			"spec.strategy.rollingUpdate"},
		{"a list under an absent parent is not null", `{spec: {strategy: {steps: [], type: null}}}`, "spec.strategy.steps"},
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

// A null actual mapping (as some serialisers write it) is as absent as a
// missing one.
func TestMatchNullParent(t *testing.T) {
	act := obj(t, `{metadata: {annotations: null}}`)
	assert.Nil(t, Match(obj(t, `{metadata: {annotations: {x: null}}}`), act, ""))
	m := Match(obj(t, `{metadata: {annotations: {x: v}}}`), act, "")
	if assert.NotNil(t, m) {
		assert.Equal(t, `metadata.annotations: expected {"x":"v"}, got <absent>`, m.String())
	}
}
