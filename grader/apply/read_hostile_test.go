package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

// Each test here is a hostile submission the reader must refuse, by name,
// as the learner's problem: quickly, without following it out of the
// directory, and without echoing what it holds.

// readWithin reads dir with lim, failing the test rather than hanging if
// reading takes more than budget.
func readWithin(t *testing.T, budget time.Duration, dir string, lim spec.SubmissionLimits) ([]Object, []string) {
	t.Helper()
	type result struct {
		objs []Object
		err  error
	}
	ch := make(chan result, 1)
	start := time.Now()
	go func() {
		objs, err := ReadLimited(context.Background(), dir, lim)
		ch <- result{objs, err}
	}()
	select {
	case res := <-ch:
		t.Logf("read in %v", time.Since(start))
		var problems []string
		if res.err != nil {
			problems = strings.Split(res.err.Error(), "\n")
		}
		for _, p := range problems {
			assertClean(t, p)
		}
		return res.objs, problems
	case <-time.After(budget):
		t.Fatalf("reading %s took more than %v", dir, budget)
		return nil, nil
	}
}

// assertClean: a problem is one printable line that no CI runner reads as
// a command.
func assertClean(t *testing.T, p string) {
	t.Helper()
	for _, r := range p {
		if r < 0x20 || r == 0x7f || needsEscape(r) {
			t.Errorf("problem holds the control character %U: %q", r, p)
			return
		}
	}
	assert.NotContains(t, p, "::", "no workflow command")
	assert.NotContains(t, p, "##[", "no legacy workflow command")
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"

func TestReadRefusesSymlinkOutOfTheSubmission(t *testing.T) {
	outside := write(t, t.TempDir(), "secrets.yaml", "password: hunter2-TOP-SECRET\n")
	dir := t.TempDir()
	write(t, dir, "cm.yaml", configMap)
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "secrets.yaml")))

	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	require.Len(t, problems, 1)
	assert.Equal(t, filepath.Join(dir, "secrets.yaml")+": "+refuseLinks, problems[0])
	assert.NotContains(t, strings.Join(problems, "\n"), "hunter2", "the target's content is never read")
	require.Len(t, objs, 1, "the rest of the submission is read")
	assert.Equal(t, "ConfigMap/ok", objs[0].Ref())
}

func TestReadRefusesSymlinkInsideTheSubmission(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", configMap)
	require.NoError(t, os.Symlink("a.yaml", filepath.Join(dir, "b.yaml")))
	require.NoError(t, os.Symlink("a.yaml", filepath.Join(dir, "notes"))) // any name: a link is never followed

	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{
		filepath.Join(dir, "b.yaml") + ": " + refuseLinks,
		filepath.Join(dir, "notes") + ": " + refuseLinks,
	}, problems)
	assert.Len(t, objs, 1, "a.yaml once, not again through b.yaml")
}

func TestReadDoesNotWalkIntoSymlinkedDirectory(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "stolen.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n")
	dir := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "sub")))

	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "sub") + ": " + refuseLinks}, problems)
}

func TestReadRefusesSymlinkedSubmission(t *testing.T) {
	real := t.TempDir()
	write(t, real, "cm.yaml", configMap)
	link := filepath.Join(t.TempDir(), "work")
	require.NoError(t, os.Symlink(real, link))

	objs, problems := readWithin(t, 5*time.Second, link, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{link + ": " + refuseLinks}, problems)
}

func TestReadRefusesSymlinkToDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")))

	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "zero.yaml") + ": " + refuseLinks}, problems)
}

func TestReadRefusesSymlinkedFileOnSingleFileRead(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")))
	objs, err := Read(filepath.Join(dir, "zero.yaml"))
	assert.Empty(t, objs)
	require.Error(t, err)
	assert.Equal(t, filepath.Join(dir, "zero.yaml")+": "+refuseLinks, err.Error())
}

func TestReadRefusesHugeFileWithoutReadingIt(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.yaml"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(200<<20)) // 200 MB, sparse: cheap to make
	require.NoError(t, f.Close())

	start := time.Now()
	objs, problems := readWithin(t, 10*time.Second, dir, spec.SubmissionLimits{})
	assert.Less(t, time.Since(start), time.Second, "not read: 200 MB took 16 s and 2 GB")
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "huge.yaml") +
		": 209715200 bytes, more than the 1048576 a file may hold (spec.submission.limits.fileBytes): not read"}, problems)
}

func TestReadBoundsTheSubmissionsTotalSize(t *testing.T) {
	dir := t.TempDir()
	doc := configMap + "data: {pad: \"" + strings.Repeat("x", 500) + "\"}\n"
	for _, n := range []string{"a.yaml", "b.yaml", "c.yaml"} {
		write(t, dir, n, strings.Replace(doc, "name: ok", "name: "+n[:1], 1))
	}
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{TotalBytes: 1200})
	assert.Len(t, objs, 2)
	assert.Equal(t, []string{filepath.Join(dir, "c.yaml") +
		": not read, nor any file after it: the submission holds more than 1200 bytes (spec.submission.limits.totalBytes)"}, problems)
}

func TestReadBoundsTheNumberOfFiles(t *testing.T) {
	dir := t.TempDir()
	for i := range 250 {
		write(t, dir, fmt.Sprintf("sub/%03d.yaml", i), strings.Replace(configMap, "name: ok", fmt.Sprintf("name: c%d", i), 1))
	}
	objs, problems := readWithin(t, 10*time.Second, dir, spec.SubmissionLimits{})
	assert.Len(t, objs, 200, "the first 200, in order")
	assert.Equal(t, "ConfigMap/c199", objs[199].Ref())
	assert.Equal(t, []string{dir + ": 250 manifest files, more than 200 (spec.submission.limits.files): only the first 200 are read"}, problems)
}

func TestReadBoundsDocumentsPerFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "many.yaml", strings.Repeat("---\n", 600)+configMap)
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "many.yaml") + ":501: more than 500 YAML documents in one file (spec.submission.limits.documents)"}, problems)
}

// billionLaughs is the classic alias bomb: 10^9 values from 1 KiB.
const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestReadRefusesAliasBomb(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "lol.yaml", billionLaughs)
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "lol.yaml") +
		":8: YAML aliases expand to more than 10000 values in the submission (spec.submission.limits.aliases)"}, problems)
}

func TestReadBoundsAliasExpansionYAMLv3WouldAllow(t *testing.T) {
	// yaml.v3's own guard lets 99% of a small document come from aliases:
	// here 90,000 values from a 2 KiB file.
	dir := t.TempDir()
	items := strings.TrimSuffix(strings.Repeat("1,", 1000), ",")
	write(t, dir, "wide.yaml", configMap+"x: &x ["+items+"]\ny: ["+strings.TrimSuffix(strings.Repeat("*x,", 90), ",")+"]\n")
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "wide.yaml") +
		":5: YAML aliases expand to more than 10000 values in the submission (spec.submission.limits.aliases)"}, problems)

	// the budget is the whole submission's: two files of 6,000 each
	dir = t.TempDir()
	items = strings.TrimSuffix(strings.Repeat("1,", 2999), ",")
	for _, n := range []string{"a.yaml", "b.yaml"} {
		write(t, dir, n, strings.Replace(configMap, "name: ok", "name: "+n[:1], 1)+"x: &x ["+items+"]\ny: [*x, *x]\n")
	}
	objs, problems = readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Len(t, objs, 1)
	assert.Equal(t, []string{filepath.Join(dir, "b.yaml") +
		":5: YAML aliases expand to more than 10000 values in the submission (spec.submission.limits.aliases)"}, problems)
}

func TestReadRefusesAliasExpandingPastTheFileSize(t *testing.T) {
	// few values, many bytes: one 100 KB string aliased 20 times
	dir := t.TempDir()
	write(t, dir, "big.yaml", configMap+"x: &x \""+strings.Repeat("A", 100_000)+"\"\ny: ["+strings.TrimSuffix(strings.Repeat("*x,", 20), ",")+"]\n")
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "big.yaml") +
		":5: with its aliases expanded the file holds more than 1048576 bytes (spec.submission.limits.fileBytes)"}, problems)
}

func TestReadRefusesAliasCycle(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cycle.yaml", configMap+"x: &x [a, *x]\n")
	_, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{filepath.Join(dir, "cycle.yaml") + ":4: anchor &x holds an alias to itself"}, problems)
}

func wideConfigMap(keys int) string {
	var b strings.Builder
	b.WriteString(configMap + "data:\n")
	for i := range keys {
		fmt.Fprintf(&b, "  k%05d: v\n", i)
	}
	return b.String()
}

func TestReadWideMappingIsFast(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "wide.yaml", wideConfigMap(80000))
	start := time.Now()
	objs, problems := readWithin(t, 60*time.Second, dir, spec.SubmissionLimits{})
	// about 0.2 s, parsing; yaml.v3's duplicate check took 29 s (the bound
	// leaves room for a loaded machine)
	if !raceEnabled {
		assert.Less(t, time.Since(start), 2*time.Second)
	}
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "wide.yaml") + ":5: a mapping with 80000 keys, more than 10000 (spec.submission.limits.keys)"}, problems)

	// read in linear time when the lab allows that many keys (about 0.4 s
	// here, most of it parsing; the bound leaves room for a loaded machine)
	start = time.Now()
	objs, problems = readWithin(t, 60*time.Second, dir, spec.SubmissionLimits{Keys: 80000})
	if !raceEnabled {
		assert.Less(t, time.Since(start), 3*time.Second)
	}
	assert.Empty(t, problems)
	require.Len(t, objs, 1)
	assert.Len(t, objs[0].Object["data"], 80000)
}

func TestReadDuplicateKey(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "dup.yaml", configMap+"data:\n  a: x\n  b: y\n  a: z\n")
	_, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{filepath.Join(dir, "dup.yaml") + `:7: the key "a" appears twice in a mapping (first on line 5)`}, problems)
}

func TestReadRefusesDeepNesting(t *testing.T) {
	dir := t.TempDir()
	deep := configMap + "data: {x: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "}\n"
	write(t, dir, "deep.yaml", deep)
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{filepath.Join(dir, "deep.yaml") + ":4: nested deeper than 100 levels (spec.submission.limits.depth)"}, problems)

	// through an alias too
	write(t, dir, "deep.yaml", configMap+"x: &x "+strings.Repeat("[", 60)+strings.Repeat("]", 60)+"\ny: "+strings.Repeat("[", 60)+"*x"+strings.Repeat("]", 60)+"\n")
	_, problems = readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{filepath.Join(dir, "deep.yaml") + ":5: alias *x nests deeper than 100 levels (spec.submission.limits.depth)"}, problems)
}

func TestReadInvalidUTF8IsALineProblem(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad.yaml", configMap+"data: {a: \"caf\xe9\"}\n")
	write(t, dir, "esc.yaml", configMap+"data: {a: \"\x1b[2J\"}\n")
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	assert.Equal(t, []string{
		filepath.Join(dir, "bad.yaml") + ":4: invalid UTF-8 (byte 0xE9): save the file as UTF-8",
		filepath.Join(dir, "esc.yaml") + ":4: control character U+001B: YAML allows tab, line breaks and printable characters only",
	}, problems)
}

func TestReadProblemsDoNotEchoHostileText(t *testing.T) {
	dir := t.TempDir()
	// escapes written the YAML way reach the values: each broken value
	// below is quoted, if at all, as a short escaped excerpt
	hostile := `\e[2J\e[1;32mPASSED\e[0m\r\n::error file=x.yaml::forged\u2028##[warning]` + strings.Repeat("A", 200)
	write(t, dir, "kind.yaml", "apiVersion: v1\nkind: \""+hostile+"\"\n")
	write(t, dir, "int.yaml", configMap+"data: {a: !!int \""+hostile+"\"}\n")
	write(t, dir, "dup.yaml", configMap+"data: {\""+hostile+"\": 1, \""+hostile+"\": 2}\n")
	write(t, dir, "anchor.yaml", configMap+"data: {a: *"+strings.Repeat("B", 300)+"}\n")
	write(t, dir, "float.yaml", configMap+"data: {a: !!float \""+hostile+"\"}\n")
	write(t, dir, "secret.yaml", "password: hunter2-TOP-SECRET\n")
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Empty(t, objs)
	require.Len(t, problems, 6)
	all := strings.Join(problems, "\n")
	for _, forbidden := range []string{"\x1b", "\r", "\u2028", "::error", "##[", strings.Repeat("A", excerptRunes+1), strings.Repeat("B", excerptRunes+1), "hunter2"} {
		assert.NotContains(t, all, forbidden)
	}
	for _, p := range problems {
		assert.LessOrEqual(t, len([]rune(p))-len([]rune(dir)), 200, "a problem is short: %s", p)
	}
	assert.Contains(t, all, filepath.Join(dir, "kind.yaml")+`:1: \x1b[2J\x1b[1;32mPASSED\x1b[0m\r\n:\:error file=… has no metadata.name`)
	assert.Contains(t, all, filepath.Join(dir, "anchor.yaml")+`:4: YAML syntax: unknown anchor "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB…"`)
	assert.Contains(t, all, filepath.Join(dir, "secret.yaml")+":1: a manifest needs apiVersion and kind, both strings")
}

func TestReadRefusesHostileFileNames(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a\n::error::forged.yaml", configMap)
	write(t, dir, "b\x1b[31m/c.yaml", configMap)
	write(t, dir, "::warning::d.yaml", strings.Replace(configMap, "name: ok", "name: d", 1)) // printable: read, escaped in problems
	write(t, dir, "::warning::e.yaml", "kind: [")
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{})
	assert.Equal(t, []string{
		dir + `/a\n:\:error:\:forged.yaml: a name with control or invisible characters: not read; rename it`,
		dir + `/b\x1b[31m: a name with control or invisible characters: not read; rename it`,
		dir + `/:\:warning:\:e.yaml:1: YAML syntax: did not find expected node content`,
	}, problems)
	require.Len(t, objs, 1)
	assert.Equal(t, "ConfigMap/d", objs[0].Ref())
}

func TestReadTimesOut(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", configMap)
	objs, problems := readWithin(t, 5*time.Second, dir, spec.SubmissionLimits{Timeout: spec.Duration{Duration: time.Nanosecond}})
	assert.Empty(t, objs)
	assert.Equal(t, []string{dir + ": reading stopped here: the submission took longer than 1ns to read (spec.submission.limits.timeout)"}, problems)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadLimited(ctx, dir, spec.SubmissionLimits{})
	require.Error(t, err)
	assert.Equal(t, dir+": reading stopped here: context canceled", err.Error())
}

func TestReadMissingPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing")
	_, err := Read(dir)
	require.Error(t, err)
	assert.Equal(t, dir+": cannot be read: no such file or directory", err.Error())
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":            "plain text",
		"a\nb\rc\td":            `a\nb\rc\td`,
		"\x1b[31mred\x1b[0m":    `\x1b[31mred\x1b[0m`,
		"\u009b31m":             `\u009b31m`,
		"::error::x":            `:\:error:\:x`,
		":::":                   `:\:\:`,
		"##[group]":             `#\#[group]`,
		"a\u2028b\u202ec\ufeff": `a\u2028b\u202ec\ufeff`,
		"bad \xff byte":         `bad \xff byte`,
		"café ✓":                "café ✓",
	} {
		got := escape(in, 0)
		assert.Equal(t, want, got, "escape(%q)", in)
		assert.Equal(t, got, escape(got, 0), "escaping its own output changes nothing")
	}
	assert.Equal(t, "xxxxxxxxxx…", escape(strings.Repeat("x", 100), 10))
	assert.Equal(t, `"`+strings.Repeat("é", excerptRunes)+`…"`, excerpt(strings.Repeat("é", 100)))
}
