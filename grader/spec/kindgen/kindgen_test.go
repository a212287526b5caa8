package kindgen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSpec makes a package directory holding one file of Go source.
func writeSpec(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kinds.go"), []byte("package spec\n\n"+src), 0o644))
	return dir
}

const checkType = "type Check struct {\n\tPoints int `json:\"points\"`\n}\n\n"

// A kind is found by its directive, whatever file and declaration form it
// is in, and its summary becomes its field's doc, wrapped as the package's
// comments are.
func TestFind(t *testing.T) {
	dir := writeSpec(t, checkType+`// ZCheck is last by name.
//
//labgrade:checkkind zed Zed: a check that sorts after the others and has a summary long enough to wrap.
type ZCheck struct{}

type (
	// ACheck is first.
	//
	//labgrade:checkkind alpha Alpha: first.
	ACheck struct{}

	// NotAKind has no directive.
	NotAKind struct{}
)
`)
	kinds, err := Find(dir)
	require.NoError(t, err)
	assert.Equal(t, []Kind{
		{Name: "alpha", Type: "ACheck", Field: "A", Summary: "Alpha: first."},
		{Name: "zed", Type: "ZCheck", Field: "Z", Summary: "Zed: a check that sorts after the others and has a summary long enough to wrap."},
	}, kinds)
	src, err := Generate(dir)
	require.NoError(t, err)
	assert.Contains(t, string(src), "\t// Zed: a check that sorts after the others and has a summary long enough\n\t// to wrap.\n\tZ *ZCheck `json:\"zed,omitempty\"`")
	assert.Contains(t, string(src), `var KindNames = []string{"alpha", "zed"}`)
}

// A directive that cannot make a well-formed field is refused with the
// type's position, before any code is written.
func TestFindRefuses(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"no summary", "//labgrade:checkkind solo\ntype SoloCheck struct{}\n", "needs a summary"},
		{"bad name", "//labgrade:checkkind Solo Solo: x.\ntype SoloCheck struct{}\n", "must be a lowerCamel identifier"},
		{"not a struct", "//labgrade:checkkind solo Solo: x.\ntype SoloCheck string\n", "must be a struct type"},
		{"no Check suffix", "//labgrade:checkkind solo Solo: x.\ntype Solo struct{}\n", "named <Field>Check"},
		{"twice", "//labgrade:checkkind solo Solo: x.\ntype SoloCheck struct{}\n\n//labgrade:checkkind solo Solo: y.\ntype OtherCheck struct{}\n", "declared twice"},
		{"a check field's name", "//labgrade:checkkind points Points: x.\ntype PointsCheck struct{}\n", "has the name of a field of Check"},
		{"no kinds", "type SoloCheck struct{}\n", "no type in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(writeSpec(t, checkType+c.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
