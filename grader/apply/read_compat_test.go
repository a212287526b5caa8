package apply

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// yamlV3Objects reads data the way Read did before it converted nodes
// itself: yaml.v3 decodes each document into an any, and a JSON round trip
// gives unstructured's types. An error when yaml.v3 refuses a document or
// one is not a mapping.
func yamlV3Objects(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].ShortTag() == "!!null") {
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("not a mapping")
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			return nil, err
		}
		out = append(out, back)
	}
}

// jsonOf is objs as JSON values, for comparison with yamlV3Objects.
func jsonOf(t testing.TB, objs []Object) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		b, err := json.Marshal(o.Object)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		out = append(out, m)
	}
	return out
}

// compatDocs read to the same values as with yaml.v3's own decoder:
// scalars of every type, anchors, aliases and merge keys.
var compatDocs = map[string]string{
	"scalars.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: scalars, labels: {"app.kubernetes.io/name": x}}
data:
  int: 42
  neg: -7
  hex: 0x1F
  octal: 0o17
  float: 3.25
  exp: 1e3
  bool: true
  nul: null
  tilde: ~
  empty:
  str: "42"
  single: 'it''s'
  plain: hello world
  time: 2001-12-14t21:59:43.10-05:00
  date: 2002-12-14
  big: 123456789012345678901234567890
  bin: !!binary aGVsbG8=
  tagged: !!str 12
  custom: !mytag value
  folded: >
    a
    b
  literal: |
    line1
    line2
  nested: [1, [2, [3]], {a: {b: c}}]
  unicode: "caf\u00e9 ✓"
`,
	"anchors.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web, tier: front}
spec:
  selector: {matchLabels: *labels}
  template:
    metadata: {labels: *labels}
    spec:
      containers:
      - &c {name: a, image: "x:1", ports: [{containerPort: 80}]}
      - <<: *c
        name: b
---
apiVersion: v1
kind: ConfigMap
metadata: {name: merges}
data:
  base: &base {a: "1", b: "2"}
  other: &other {b: "3", c: "4"}
  one: {<<: *base, b: "9"}
  two: {<<: [*base, *other]}
  three: {<<: [*other, *base], d: "5"}
  inline: {<<: {x: "1"}, y: "2"}
---
`,
	"doc.json": `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}}`,
}

func TestReadMatchesYAMLv3(t *testing.T) {
	dir := t.TempDir()
	for name, content := range compatDocs {
		write(t, dir, name, content)
	}
	// and every manifest of the labs
	labs, _ := filepath.Abs("../../labs")
	err := filepath.WalkDir(labs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isManifest(p) && !strings.HasSuffix(p, "lab.yaml") && !strings.HasSuffix(p, "expect.yaml") {
			rel, _ := filepath.Rel(labs, p)
			data, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			write(t, dir, filepath.Join("labs", rel), string(data))
		}
		return err
	})
	require.NoError(t, err)

	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		want, werr := yamlV3Objects(data)
		objs, rerr := Read(p)
		if werr != nil {
			assert.Error(t, rerr, "%s: yaml.v3 refuses it", p)
			return nil
		}
		if rerr != nil && strings.Contains(rerr.Error(), "has no metadata.name") {
			return nil // not a manifest (a lab's fixture), as before
		}
		require.NoError(t, rerr, p)
		assert.Equal(t, want, jsonOf(t, objs), p)
		n += len(objs)
		return nil
	}))
	t.Logf("%d objects compared", n)
	assert.Greater(t, n, 20, "the labs' manifests were compared")
}
