//go:build unix

package apply

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

func TestReadRefusesFIFOWithoutOpeningIt(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "x.yaml"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644)) // not a manifest: ignored
	write(t, dir, "y.yaml", configMap)

	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{filepath.Join(dir, "x.yaml") + ": not a regular file (a named pipe): not read"}, problems)
	assert.Len(t, objs, 1)
}

func TestReadFIFOSwappedInIsNotBlockedOn(t *testing.T) {
	// A FIFO that takes a regular file's place after the walk: opened
	// without blocking, then refused as not regular.
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "x.yaml"), 0o644))
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	r := &reader{ctx: context.Background(), lim: spec.SubmissionLimits{}.WithDefaults(), path: dir}
	done := make(chan struct{})
	go func() { defer close(done); r.readFile(root, "x.yaml", filepath.Join(dir, "x.yaml")) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
	assert.Equal(t, []string{filepath.Join(dir, "x.yaml") + ": not a regular file (a named pipe): not read"}, problemLines(r.refused))
}
