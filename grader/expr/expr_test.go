package expr

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectExpressions(t *testing.T) {
	obj := map[string]any{"spec": map[string]any{
		"replicas": int64(2),
		"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "server", "image": "m:1.0", "readinessProbe": map[string]any{}},
		}}},
	}}
	cases := []struct {
		src  string
		want bool
		err  string
	}{
		{"object.spec.replicas >= 2", true, ""},
		{"object.spec.template.spec.containers.all(c, has(c.readinessProbe))", true, ""},
		{"object.spec.template.spec.containers.exists(c, c.image.endsWith(':latest'))", false, ""},
		{"objects.size() == 1", true, ""},
		{"object.spec.paused", false, "no such key"},
	}
	for _, c := range cases {
		p, err := Compile(Object, c.src)
		require.NoError(t, err, c.src)
		got, err := p.Eval(map[string]any{"object": obj, "objects": []any{obj}})
		if c.err != "" {
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.err)
			continue
		}
		require.NoError(t, err, c.src)
		assert.Equal(t, c.want, got, c.src)
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile(Object, "object.spec.replicas >>= 2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Syntax error")
	assert.NotContains(t, err.Error(), "\n", "one line for file:line messages")

	_, err = Compile(Object, "1 + 2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must be true or false")

	_, err = Compile(Object, "status == 200")
	require.Error(t, err, "status is an HTTP variable, not an object one")

	p, err := Compile(HTTP, "status == 200 && json.ok && latencyMs < 50.0")
	require.NoError(t, err)
	ok, err := p.Eval(map[string]any{"status": int64(200), "body": "", "json": map[string]any{"ok": true}, "latencyMs": 12.5})
	require.NoError(t, err)
	assert.True(t, ok)
}

// An expression written over several lines (a YAML folded scalar keeps
// the breaks of more-indented lines) is quoted on one line.
func TestSourceOnOneLine(t *testing.T) {
	p, err := Compile(Object, "object.spec.replicas >= 2\n  && object.spec.replicas < 5\r\n\t|| false\n")
	require.NoError(t, err)
	assert.Equal(t, "object.spec.replicas >= 2 && object.spec.replicas < 5 || false", p.Source)
}
