package batch

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mkdirs(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		require.NoError(t, os.MkdirAll(filepath.Join(root, n), 0o755))
	}
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"ann", "Ann Lee", "ann@uni.edu", "=1+1", "-rm", "+x", "日本語", "a=b", "<script>alert(1)<", `"quoted'`} {
		assert.NoError(t, CheckID(ok), ok)
	}
	for bad, why := range map[string]string{
		"":                       "empty",
		".":                      "'.'",
		"..":                     "'.'",
		".hidden":                "'.'",
		"../x":                   "'.'",
		"a/b":                    "separator",
		`a\b`:                    "separator",
		"a\x1b[2Jb":              "control",
		"a\nb":                   "control",
		"a\u202eb":               "control or format",
		"summary.csv":            "class file",
		"INDEX.html":             "class file",
		" padded":                "space",
		strings.Repeat("x", 200): "longer",
		"\xff":                   "UTF-8",
	} {
		err := CheckID(bad)
		if assert.Error(t, err, "%q", bad) {
			assert.Contains(t, err.Error(), why, "%q", bad)
		}
	}
}

func TestParseArg(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, "ann", "=1+1", "dirs/bob")
	t.Chdir(root)

	s, err := ParseArg("ann")
	require.NoError(t, err)
	assert.Equal(t, Submission{ID: "ann", Dir: "ann"}, s)

	s, err = ParseArg("dirs/bob/")
	require.NoError(t, err)
	assert.Equal(t, "bob", s.ID, "the id is the directory's name")

	s, err = ParseArg("robert=dirs/bob")
	require.NoError(t, err)
	assert.Equal(t, Submission{ID: "robert", Dir: "dirs/bob"}, s)

	s, err = ParseArg("=1+1")
	require.NoError(t, err)
	assert.Equal(t, Submission{ID: "=1+1", Dir: "=1+1"}, s, "a directory whose name holds '=' is not split")

	_, err = ParseArg("../=ann")
	require.Error(t, err, "an id may not climb out of the output directory")
	assert.Contains(t, err.Error(), "'.'")

	_, err = ParseArg("x=missing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing")

	require.NoError(t, os.WriteFile(filepath.Join(root, "file"), nil, 0o644))
	_, err = ParseArg("file")
	assert.ErrorContains(t, err, "not a directory")

	_, err = ParseArg("..")
	assert.Error(t, err, "the parent directory's id would be '..'")
}

func TestCollect(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, "a/ann", "b/ann", "b/bob", "list/carl", "list/dora")
	t.Chdir(root)

	_, err := Collect([]string{"a/ann", "b/ann"}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `two submissions have the id "ann" (a/ann and b/ann)`)

	_, err = Collect([]string{"a/ann", "ANN=b/ann"}, "")
	assert.ErrorContains(t, err, "two submissions", "ids that differ only in case would share a directory on some file systems")

	subs, err := Collect([]string{"a/ann", "ann2=b/ann"}, "")
	require.NoError(t, err)
	assert.Len(t, subs, 2)

	from := filepath.Join(root, "list", "class.txt")
	require.NoError(t, os.WriteFile(from, []byte("# the class\ncarl\n\n  dodo=dora  \r\n"), 0o644))
	subs, err = Collect([]string{"b/bob"}, from)
	require.NoError(t, err)
	assert.Equal(t, []Submission{{ID: "bob", Dir: "b/bob"}, {ID: "carl", Dir: filepath.Join(root, "list", "carl")}, {ID: "dodo", Dir: filepath.Join(root, "list", "dora")}}, subs,
		"a --from file's directories are relative to the file")

	require.NoError(t, os.WriteFile(from, []byte("carl\nnowhere\nx/y=carl\n"), 0o644))
	_, err = Collect(nil, from)
	require.Error(t, err)
	assert.Contains(t, err.Error(), from+":2: ")
	assert.Contains(t, err.Error(), from+":3: ", "every bad line is named")

	_, err = Collect(nil, "")
	assert.ErrorContains(t, err, "no submissions")
}

func TestNamespace(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"ann-lee", "Ann Lee", "ANN_LEE", "=1+1", "+1+1", "日本", "x", strings.Repeat("long-name-", 20), strings.Repeat("long-name-", 20) + "2"} {
		ns := Namespace("ml-serving", id, 1)
		assert.Regexp(t, `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, ns, id)
		assert.LessOrEqual(t, len(ns), 63, id)
		if other, dup := seen[ns]; dup {
			t.Errorf("%q and %q share namespace %s", id, other, ns)
		}
		seen[ns] = id
		assert.Equal(t, ns, Namespace("ml-serving", id, 1), "stable")
		retry := Namespace("ml-serving", id, 2)
		assert.NotEqual(t, ns, retry, "a retry is graded in a fresh namespace")
		assert.LessOrEqual(t, len(retry), 63)
	}
	assert.True(t, strings.HasPrefix(Namespace("ml-serving", "ann-lee", 1), "ml-serving-ann-lee-"))
}

func TestTreeDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("a.yaml", "kind: A\n")
	d1, err := TreeDigest(dir)
	require.NoError(t, err)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, d1)

	write("a.yaml", "kind: B\n")
	d2, _ := TreeDigest(dir)
	assert.NotEqual(t, d1, d2, "content counts")

	require.NoError(t, os.Rename(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")))
	d3, _ := TreeDigest(dir)
	assert.NotEqual(t, d2, d3, "names count")

	// a link is its target's name, never the target's content
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("one"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "link.yaml")))
	d4, _ := TreeDigest(dir)
	require.NoError(t, os.WriteFile(secret, []byte("two"), 0o600))
	d5, _ := TreeDigest(dir)
	assert.Equal(t, d4, d5, "links are not followed")
	assert.NotEqual(t, d3, d4)

	// the directory itself may be a link: it is followed
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dir, link))
	viaLink, err := TreeDigest(link)
	require.NoError(t, err)
	assert.Equal(t, d5, viaLink)

	// a FIFO is never opened (it would block for ever)
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "x.yaml"), 0o644))
	d6, err := TreeDigest(dir)
	require.NoError(t, err)
	assert.NotEqual(t, d5, d6)
}

func TestUpToDate(t *testing.T) {
	dir := t.TempDir()
	st := Stamp{Lab: "sha256:l", Submission: "sha256:s"}
	assert.False(t, UpToDate(dir, st), "nothing there")
	require.NoError(t, writeStamp(dir, st))
	assert.False(t, UpToDate(dir, st), "a stamp without its result")
	require.NoError(t, os.WriteFile(filepath.Join(dir, resultFile), []byte("{}"), 0o644))
	assert.True(t, UpToDate(dir, st))
	assert.False(t, UpToDate(dir, Stamp{Lab: "sha256:other", Submission: "sha256:s"}), "the lab changed")
	assert.False(t, UpToDate(dir, Stamp{Lab: "sha256:l", Submission: "sha256:other"}), "the submission changed")
	assert.False(t, UpToDate(dir, Stamp{Lab: "sha256:l", Submission: "sha256:s", Selection: "--quick"}), "a partial grade is not the full one")
	require.NoError(t, os.WriteFile(filepath.Join(dir, stampFile), []byte("{not json"), 0o644))
	assert.False(t, UpToDate(dir, st), "an unreadable stamp grades again")
}

func TestCapacity(t *testing.T) {
	c := capacity(2, 24<<30)
	assert.Equal(t, 4, c.Parallel, "2 cores: four submissions' pods fit beside Kubernetes' own requests")
	assert.Equal(t, "cpu", c.Bound)
	c = capacity(8, 2<<30)
	assert.Equal(t, 1, c.Parallel)
	assert.Equal(t, "memory", c.Bound)
	c = capacity(64, 256<<30)
	assert.Equal(t, maxDefaultParallel, c.Parallel)
	assert.Equal(t, 1, capacity(1, 0).Parallel, "never less than one")
	assert.Contains(t, capacity(2, 24<<30).String(), "4 at once (2 CPUs, 24.0 GiB memory available")
}

func TestFitCPU(t *testing.T) {
	assert.Equal(t, 4, FitCPU(2000-860), "a 2-core kind node beside Kubernetes' own requests")
	assert.Equal(t, 2, FitCPU(600))
	assert.Equal(t, 1, FitCPU(0), "never less than one")
}
