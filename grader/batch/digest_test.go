package batch

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/spec"
)

// TestLabDigestCoversReferences: a drift reference outside the lab's
// directory is part of what a grade was made from, so changing it makes a
// rerun grade again.
func TestLabDigestCoversReferences(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "labs", "demo")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte("kind: Lab\n"), 0o644))
	ref := filepath.Join(root, "reference.csv")
	require.NoError(t, os.WriteFile(ref, []byte("x\n1\n"), 0o644))
	l := &lab.Lab{Dir: dir}
	l.Metadata.Name = "demo"
	l.Spec.Checks = []spec.Check{{ID: "drift"}}
	l.Spec.Checks[0].Drift = &spec.DriftCheck{Reference: "../../reference.csv"}

	before, err := LabDigest(l)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ref, []byte("x\n2\n"), 0o644))
	after, err := LabDigest(l)
	require.NoError(t, err)
	assert.NotEqual(t, before, after)

	require.NoError(t, os.Remove(ref))
	_, err = LabDigest(l)
	assert.ErrorContains(t, err, "check drift")
}

// An image's program built from packages of its module outside its own
// directory: a change to one of them, or to go.mod, changes the lab's
// digest; a package it does not import does not.
func TestLabDigestCoversGoPackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no Go toolchain")
	}
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("go.mod", "module example.com/demo\n\ngo 1.22\n")
	write("shared/shared.go", "package shared\n\nconst Answer = 42\n")
	write("unrelated/unrelated.go", "package unrelated\n")
	write("images/app/main.go", "package main\n\nimport \"example.com/demo/shared\"\n\nfunc main() { println(shared.Answer) }\n")
	write("images/app/Dockerfile", "FROM scratch\n")
	write("labs/demo/lab.yaml", "kind: Lab\n")
	l := &lab.Lab{Dir: filepath.Join(root, "labs", "demo")}
	l.Metadata.Name = "demo"
	l.Spec.Cluster.Images = []spec.Image{{Name: "labgrade.local/app:1.0", Build: "../../images/app"}}

	digest := func() string {
		d, err := LabDigest(l)
		require.NoError(t, err)
		return d
	}
	before := digest()
	write("unrelated/unrelated.go", "package unrelated\n\nconst X = 1\n")
	assert.Equal(t, before, digest(), "a package the program does not import")
	write("shared/shared.go", "package shared\n\nconst Answer = 43\n")
	changed := digest()
	assert.NotEqual(t, before, changed, "a package the program imports")
	write("go.mod", "module example.com/demo\n\ngo 1.23\n")
	assert.NotEqual(t, changed, digest(), "go.mod pins the rest")
}
