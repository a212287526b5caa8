package catalog

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade"
)

// The labs built into the binary unpack and load as they are, from any
// working directory: their image sources come along and compile there.
func TestBuiltinLabs(t *testing.T) {
	goCache, err := exec.Command("go", "env", "GOCACHE").Output()
	require.NoError(t, err)
	t.Setenv("GOCACHE", strings.TrimSpace(string(goCache))) // keep Go's build cache warm
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir()) // no ./labs here
	c, err := Open("", labgrade.Content)
	require.NoError(t, err)
	assert.Equal(t, "built-in", c.Source)
	names, err := c.Names()
	require.NoError(t, err)
	assert.Contains(t, names, "k8s-serving")
	l, err := c.Load("k8s-serving")
	require.NoError(t, err)
	for _, img := range l.Spec.Cluster.Images {
		_, err := os.Stat(filepath.Join(l.Dir, img.Build, "main.go"))
		assert.NoError(t, err, "image source %s unpacked", img.Build)
	}
	// the image programs compile in the unpacked copy, as labgrade run
	// does it from any directory
	for _, img := range l.Spec.Cluster.Images {
		build := exec.Command("go", "build", "-o", os.DevNull, ".")
		build.Dir = filepath.Join(l.Dir, img.Build)
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		out, err := build.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", img.Build, out)
	}

	again, err := Open("", labgrade.Content)
	require.NoError(t, err)
	assert.Equal(t, c.Dir, again.Dir, "unpacked once per content")

	_, err = c.Load("no-such-lab")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "k8s-serving", "the error lists the labs there are")
}

func TestLabsDirFlag(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing"), labgrade.Content)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a directory")
}
