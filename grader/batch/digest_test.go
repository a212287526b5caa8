package batch

import (
	"os"
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
