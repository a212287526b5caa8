package apply

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644))
	}
	write("b.yaml", "# two documents\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\ndata: {n: \"1\"}\n---\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n")
	write("a.json", `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}`)
	write("sub/c.yml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
	write("notes.txt", "not a manifest")
	write("expect.yaml", "failing: [x]\n")

	objs, err := Read(dir, "expect.yaml")
	require.NoError(t, err)
	var refs, wheres []string
	for _, o := range objs {
		refs = append(refs, o.Ref())
		wheres = append(wheres, filepath.Base(o.File)+":"+itoa(o.Line))
	}
	assert.Equal(t, []string{"Service/svc", "ConfigMap/one", "Deployment/web", "Secret/s"}, refs)
	assert.Equal(t, []string{"a.json:1", "b.yaml:2", "b.yaml:9", "c.yml:1"}, wheres)
	replicas, _, _ := unstructuredInt(objs[2].Object, "spec", "replicas")
	assert.Equal(t, int64(2), replicas, "numbers become int64, as unstructured expects")
}

func TestReadProblems(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: [\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "noname.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\n"), 0o644))
	objs, err := Read(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "bad.yaml")+":5: YAML syntax", "a syntax error names its line")
	assert.Contains(t, err.Error(), filepath.Join(dir, "noname.yaml")+":1: ConfigMap has no metadata.name")
	assert.Len(t, objs, 1, "what could be read is still returned")
}
