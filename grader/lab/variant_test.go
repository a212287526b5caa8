package lab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// A variant is the solution with its own files in place, minus those it
// removes; expect.yaml is not part of the submission.
func TestVariantMaterialize(t *testing.T) {
	dir := writeLab(t, goodLab)
	writeFiles(t, dir, map[string]string{
		"solution/deployment.yaml":           "solution deployment",
		"solution/service.yaml":              "solution service",
		"solution/extra/pdb.yaml":            "solution pdb",
		"broken/no-pdb/expect.yaml":          "failing: [deploy]\nremove: [extra/pdb.yaml]\n",
		"broken/one-replica/expect.yaml":     "# comment\nfailing: [deploy, answers]\nverdict: passed\n",
		"broken/one-replica/deployment.yaml": "broken deployment",
	})
	l, err := Load(dir)
	require.NoError(t, err)
	vs, err := Variants(l)
	require.NoError(t, err)
	require.Len(t, vs, 2)
	assert.Equal(t, "no-pdb", vs[0].Name)
	assert.Equal(t, result.NotPassed, vs[0].Verdict, "default verdict")
	assert.Equal(t, result.Passed, vs[1].Verdict)

	tree := func(v Variant) map[string]string {
		out := t.TempDir()
		require.NoError(t, v.Materialize(l, out))
		return readTree(t, out)
	}
	solution := map[string]string{
		"deployment.yaml": "solution deployment", "service.yaml": "solution service", "extra/pdb.yaml": "solution pdb",
	}
	assert.Equal(t, solution, tree(Variant{}), "the zero variant is the solution")
	assert.Equal(t, map[string]string{
		"deployment.yaml": "broken deployment", "service.yaml": "solution service", "extra/pdb.yaml": "solution pdb",
	}, tree(vs[1]), "the variant's own files in place; expect.yaml is not part of it")
	delete(solution, "extra/pdb.yaml")
	assert.Equal(t, solution, tree(vs[0]), "removed file left out")
}

// readTree maps every file under dir (slash-separated relative path) to
// its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return err
	}))
	return got
}

func TestVariantErrors(t *testing.T) {
	dir := writeLab(t, goodLab)
	writeFiles(t, dir, map[string]string{
		"solution/deployment.yaml":         "x",
		"broken/typo/expect.yaml":          "failing: [deplyo]\n",
		"broken/gone/expect.yaml":          "failing: [deploy]\nremove: [nothing.yaml]\n",
		"broken/field/expect.yaml":         "failng: [deploy]\n",
		"broken/verdict/expect.yaml":       "failing: [deploy]\nverdict: maybe\n",
		"broken/no-expect/deployment.yaml": "x",
	})
	l, err := Load(dir)
	require.NoError(t, err)
	_, err = Variants(l)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, filepath.Join(dir, "broken", "typo", "expect.yaml")+`: failing names "deplyo", which is not a check`)
	assert.Contains(t, msg, `remove names "nothing.yaml", which is not a file of solution/`)
	assert.Contains(t, msg, `unknown field "failng"`)
	assert.Contains(t, msg, `verdict must be passed or not-passed, not "maybe"`)
	assert.Contains(t, msg, filepath.Join(dir, "broken", "no-expect", "expect.yaml")+": every broken variant needs one")
}
