package docker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDirDigest: the digest that decides whether an image is rebuilt
// changes with any file's content or name, and with nothing else.
func TestDirDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("Dockerfile", "FROM scratch\nCOPY app /app\n")
	write("app", "binary-1")
	write("data/a.csv", "x\n1\n")
	d1, err := dirDigest(dir)
	require.NoError(t, err)
	again, err := dirDigest(dir)
	require.NoError(t, err)
	assert.Equal(t, d1, again, "stable")

	write("app", "binary-2")
	d2, _ := dirDigest(dir)
	assert.NotEqual(t, d1, d2, "a new binary is a new image")

	write("app", "binary-1")
	require.NoError(t, os.Rename(filepath.Join(dir, "data/a.csv"), filepath.Join(dir, "data/b.csv")))
	d3, _ := dirDigest(dir)
	assert.NotEqual(t, d1, d3, "a renamed file changes the image")
}
