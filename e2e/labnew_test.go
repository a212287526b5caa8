//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/cluster"
)

// TestLabNew is the instructor's first hour: a new lab from labgrade lab
// new lints clean and is proven by labgrade lab test on a real cluster
// (its solution scores 100 %, its broken variant fails exactly what it
// declares), with every check kind the scaffold shows.
func TestLabNew(t *testing.T) {
	t.Parallel() // its own cluster: runs beside TestLabK8sServing (see there)
	lane(t, 134)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	labs := t.TempDir()
	t.Cleanup(func() {
		_ = cluster.NewKind().Delete("labgrade-scaffold-demo", cluster.KubeconfigPath("labgrade-scaffold-demo"))
		assertNoClusterContainers(t, "labgrade-scaffold-demo")
	})
	res := labgrade(t, ctx, "lab", "new", "scaffold-demo", "--dir", labs)
	require.Equal(t, 0, res.code, res.stderr)
	dir := filepath.Join(labs, "scaffold-demo")
	res = labgrade(t, ctx, "lab", "lint", dir)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "no problems")
	proveLab(t, ctx, dir)
}
