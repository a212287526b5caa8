package spec

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec/kindgen"
)

// TestGeneratedKindsAreCurrent fails when a kind type was added, removed or
// had its directive changed without `make generate`.
func TestGeneratedKindsAreCurrent(t *testing.T) {
	want, err := kindgen.Generate(".")
	require.NoError(t, err)
	got, err := os.ReadFile(kindgen.File)
	require.NoError(t, err, "run make generate")
	assert.Equal(t, string(want), string(got), "%s is stale: run make generate", kindgen.File)
}

// Each kind's name is the lab.yaml field that gives a check that kind, and
// names its Go type both ways.
func TestKindNames(t *testing.T) {
	require.NotEmpty(t, KindNames)
	for _, name := range KindNames {
		k := NewKind(name)
		require.NotNil(t, k, name)
		assert.Equal(t, name, KindName(k))
		var c Check
		require.NoError(t, json.Unmarshal([]byte(`{"`+name+`": {}}`), &c))
		require.NotNil(t, c.Kind(), "%s: the field does not give the check a kind", name)
		assert.IsType(t, k, c.Kind(), name)
	}
	assert.Nil(t, NewKind("nosuch"))
	assert.Empty(t, KindName(nil))
}

// A check with two kinds has none: Kind, and what is derived from it, must
// not pick one of them.
func TestTwoKindsAreNoKind(t *testing.T) {
	c := Check{Kinds: Kinds{Resource: &ResourceCheck{}, Rollout: &RolloutCheck{}}}
	assert.Len(t, c.Given(), 2)
	assert.Nil(t, c.Kind())
	assert.False(t, c.IsDisruptive())
	assert.False(t, c.IsQuick())
}

// The compiled CEL of a kind that never went through Validate is an error,
// not an empty list that would pass everything.
func TestProgramsNeedValidate(t *testing.T) {
	_, err := (&ResourceCheck{CEL: []string{"true"}}).Programs()
	assert.ErrorContains(t, err, "not compiled")
	progs, err := (&HTTPCheck{}).Programs()
	assert.NoError(t, err, "no CEL, nothing to compile")
	assert.Empty(t, progs)
}
