package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedFilesAreCurrent fails when the Go types or their comments
// changed without `make generate`.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	schema, err := Schema(".")
	require.NoError(t, err)
	committed, err := os.ReadFile(filepath.Join("..", "..", SchemaFile))
	require.NoError(t, err, "run make generate")
	assert.Equal(t, string(committed), string(schema), "%s is stale: run make generate", SchemaFile)

	ref, err := Reference(schema)
	require.NoError(t, err)
	assert.Contains(t, string(schema), "Points the check is worth", "doc comments become descriptions")

	guide, err := os.ReadFile(filepath.Join("..", "..", AuthoringFile))
	require.NoError(t, err)
	want, err := SpliceReference(guide, ref)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(guide), "%s's reference is stale: run make generate", AuthoringFile)
}
