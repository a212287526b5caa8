package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What batch cannot do is a usage error (exit 2) naming what is wrong,
// refused before any cluster work and before any file is written.
func TestBatchUsageErrors(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/ann", "b/ann", "ok"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	out := filepath.Join(root, "out")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"batch", "k8s-serving", filepath.Join(root, "ok")}, "--out DIR is required"},
		{"duplicate ids", []string{"batch", "k8s-serving", filepath.Join(root, "a/ann"), filepath.Join(root, "b/ann"), "--out", out}, `two submissions have the id "ann"`},
		{"id out of the output", []string{"batch", "k8s-serving", "..=" + filepath.Join(root, "ok"), "--out", out}, `id ".." starts with '.'`},
		{"missing directory", []string{"batch", "k8s-serving", filepath.Join(root, "nope"), "--out", out}, "nope"},
		{"missing list", []string{"batch", "k8s-serving", "--from", filepath.Join(root, "list.txt"), "--out", out}, "list.txt"},
		{"unknown check", []string{"batch", "k8s-serving", filepath.Join(root, "ok"), "--out", out, "--only", "nope"}, `has no check "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := execute(append(c.args, "--labs-dir", "../../labs"), &stdout, &stderr)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), c.want)
			assert.NoDirExists(t, out, "nothing was written")
		})
	}
}
