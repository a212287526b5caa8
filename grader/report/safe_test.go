package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

// TestSafe: what a hostile learner writes into a name, a file name, an
// Event or a body, and what every output prints instead.
func TestSafe(t *testing.T) {
	for _, tc := range []struct {
		name, in, one, lines string // lines: SafeLines, when it differs from Safe
	}{
		{"plain text is left alone", `Deployment/model: expected {}, got <absent> (a::b, C:\x, 50%)`, `Deployment/model: expected {}, got <absent> (a::b, C:\x, 50%)`, ""},
		{"a workflow command", "::warning file=deploy.yaml::owned", `\::warning file=deploy.yaml::owned`, ""},
		{"after blanks", "  \t::notice::fake", `   \::notice::fake`, ""},
		{"after Unicode blanks", "\u00a0\u3000\u2003::error::fake", "\u00a0\u3000\u2003\\::error::fake", ""},
		{"stop-commands", "::stop-commands::tok", `\::stop-commands::tok`, ""},
		{"after a bare newline", "ok\n::warning::x\n  ::set-output name=a::b", `ok\n::warning::x\n  ::set-output name=a::b`, "ok\n\\::warning::x\n  \\::set-output name=a::b"},
		{"after CRLF", "ok\r\n::warning::x", `ok\r\n::warning::x`, "ok\n\\::warning::x"},
		{"after a lone CR", "ok\r::warning::x", `ok\r::warning::x`, ""},
		{"after NEL, LS, PS, VT, FF", "a\u0085::w\u2028::x\u2029::y\v::z\f::q", `a\u0085::w\u2028::x\u2029::y\x0b::z\x0c::q`, ""},
		{"legacy command anywhere", "text ##[error]fake ##[endgroup]", `text #\#[error]fake #\#[endgroup]`, ""},
		{"Azure and TeamCity", "##vso[task.complete result=Succeeded] ##teamcity[buildStatus status='SUCCESS'] ##VSO[x]", `#\#vso[task.complete result=Succeeded] #\#teamcity[buildStatus status='SUCCESS'] #\#VSO[x]`, ""},
		{"three hashes", "###[x]", `##\#[x]`, ""},
		{"hashes that open nothing", "## heading #[x] ##x ##1[", "## heading #[x] ##x ##1[", ""},
		{"a fake PASSED drawn with CSI", "\x1b[2K\r\x1b[1;32m  Score 30/30 (100%): PASSED\x1b[0m", `\x1b[2K\r\x1b[1;32m  Score 30/30 (100%): PASSED\x1b[0m`, ""},
		{"OSC hyperlink and title", "\x1b]8;;https://evil\x07click\x1b]8;;\x07\x1b]0;title\x1b\\", `\x1b]8;;https://evil\x07click\x1b]8;;\x07\x1b]0;title\x1b\`, ""},
		{"8-bit CSI and OSC (C1)", "\u009b31mred\u009d0;t\u009c", `\u009b31mred\u009d0;t\u009c`, ""},
		{"NUL, DEL, backspace", "a\x00b\x7fc\bd", `a\x00b\x7fc\x08d`, ""},
		{"bidi override and BOM", "\u202eSSAP\u202c \u2066x\u2069 \ufeff", `\u202eSSAP\u202c \u2066x\u2069 \ufeff`, ""},
		{"XML non-characters", "a\ufffeb\uffffc", `a\ufffeb\uffffc`, ""},
		{"invalid UTF-8", "a\xffb\xed\xa0\x80c", "a\ufffdb\ufffd\ufffd\ufffdc", ""},
		{"a tab is a space", "a\tb", "a b", ""},
		{"trailing line break of a YAML block", "a hint\n", "a hint", "a hint\n"},
		{"JUnit injection is only text", `"/><testcase name="fake"/><![CDATA[`, `"/><testcase name="fake"/><![CDATA[`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.one, Safe(tc.in))
			want := tc.lines
			if want == "" {
				want = tc.one
			}
			assert.Equal(t, want, SafeLines(tc.in))
			assert.Equal(t, Safe(tc.in), Safe(Safe(tc.in)), "idempotent")
		})
	}
}

// safeInvariants: what Safe and SafeLines promise for any input.
func safeInvariants(t *testing.T, in string) {
	t.Helper()
	for _, lines := range []bool{false, true} {
		out := neutralise(in, lines)
		require.True(t, utf8.ValidString(out), "%q", in)
		for _, r := range out {
			require.False(t, r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f) || unsafeFormat(r), "%q -> %q holds %U", in, out, r)
		}
		if !lines {
			require.NotContains(t, out, "\n", "%q", in)
		}
		for _, l := range strings.Split(out, "\n") {
			require.False(t, strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::"), "%q -> %q", in, out)
			require.False(t, legacyCommand.MatchString(l), "%q -> %q", in, out)
		}
		require.Equal(t, out, neutralise(out, lines), "idempotent: %q", in)
	}
}

var legacyCommand = regexp.MustCompile(`##[A-Za-z]*\[`)

// FuzzSafe: go test -fuzz FuzzSafe ./grader/report. The seeds run with
// every go test.
func FuzzSafe(f *testing.F) {
	for _, s := range hostileFragments {
		f.Add(s)
	}
	f.Add("a\n  ::warning::x\r\n##[error]\u2028::y")
	f.Fuzz(safeInvariants)
}

// hostileFragments are what hostile strings are made of.
var hostileFragments = []string{
	"::", "::warning file=a.yaml::", "::error::", "::stop-commands::t", "##[", "##[error]", "##vso[", "#", "##", ":", "[", "]",
	"\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\v", "\f", "\t", " ", "  ", "\u00a0", "\u3000",
	"\x1b[", "\x1b[1;32m", "\x1b]8;;http://x\x07", "\x07", "\x00", "\x7f", "\u009b", "\u009d", "\u202e", "\ufeff", "\ufffe", "\uffff",
	"\xff", "\xed\xa0\x80", "\xc3", "<", ">", "&", "\"", "'", "]]>", "<![CDATA[", "%", "%0A", ",", "|", "`", "*", "_", "~", "\\", "!",
	"PASSED", "Score 30/30 (100%), passing 70%: PASSED", "Deployment/x", "é", "✓", "\U0001F600",
}

func hostileString(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(9) {
		if rng.IntN(5) == 0 {
			for range 1 + rng.IntN(4) {
				b.WriteByte(byte(rng.IntN(256))) // random bytes, UTF-8 or not
			}
			continue
		}
		b.WriteString(hostileFragments[rng.IntN(len(hostileFragments))])
	}
	return b.String()
}

func TestSafeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 5))
	for range 5000 {
		safeInvariants(t, hostileString(rng))
	}
}

// hostileResult fills every learner-reachable string of a result with
// hostile text (and the lab's strings too: Safe does not trust them
// either).
func hostileResult(rng *rand.Rand) *result.Result {
	s := func() string { return hostileString(rng) }
	r := &result.Result{Lab: s(), Title: s(), Submission: s(), Namespace: s(), PassingScore: 70, DurationSeconds: 2,
		Environment: result.Environment{Labgrade: s(), Kind: s(), Kubernetes: s(), NodeImage: s(), Cluster: s(), LabDigest: s()}}
	if rng.IntN(4) > 0 {
		r.Phases = []result.Phase{{Name: s(), Seconds: 1}}
	}
	outcomes := []result.Outcome{result.Pass, result.Fail, result.Fail, result.Error}
	for i := range rng.IntN(4) {
		c := result.Check{ID: fmt.Sprintf("c%d", i), Title: s(), Outcome: outcomes[rng.IntN(len(outcomes))], MaxPoints: 10,
			Severity: []string{"required", "recommended"}[rng.IntN(2)], Hidden: rng.IntN(4) == 0, Message: s(),
			Hints: []string{s(), s()}, Subject: s(), File: s(), Line: rng.IntN(3), DurationSeconds: 0.5}
		if rng.IntN(3) > 0 {
			c.Diagnostics = &result.Diagnostics{Summary: s(), Events: []string{s()},
				Object: map[string]any{s(): s(), "data": map[string]any{s(): s() + "\n" + s(), "list": []any{s(), 1.5, true, nil}}},
				Pods: []result.PodDiagnosis{{Name: s(), Phase: s(), Conditions: []string{s()},
					Containers: []result.ContainerDiagnosis{{Name: s(), State: s(), LastLogs: []string{s(), s()}}}}}}
		}
		r.Checks = append(r.Checks, c)
	}
	for range rng.IntN(3) {
		r.Refused = append(r.Refused, result.Refusal{File: s(), Line: rng.IntN(3), Object: s(), Why: s()})
	}
	for range rng.IntN(3) {
		r.Problems = append(r.Problems, s())
	}
	if rng.IntN(4) == 0 {
		r.EnvironmentError = s() + "\n" + s()
	}
	if rng.IntN(6) == 0 {
		r.Skipped, r.SkippedPoints, r.Selection = []string{s()}, 10, s()
	}
	r.Tally()
	return r
}

// TestHostileOutputs is the property: for random hostile strings in every
// field of a result, every output parses (XML, JSON), no line of any
// output starts with "::" (after blanks) but labgrade's own ::error
// annotations, one per refusal and per check that did not pass, no line
// holds "##[", and nothing holds a control character but line feeds.
func TestHostileOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 26))
	for i := range 200 {
		r := hostileResult(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) { hostileOutputs(t, r) })
		if t.Failed() {
			break
		}
	}
}

func hostileOutputs(t *testing.T, r *result.Result) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	partial := len(r.Skipped) > 0
	o := Options{Format: "text", JUnitPath: p("junit.xml"), JSONPath: p("report.json"), StepSummaryPath: p("summary.md"), ArtifactsDir: p("staff")}
	if !partial {
		o.GradescopePath = p("results.json")
	}
	var stdout, stderr bytes.Buffer
	o.Annotations = &stderr
	require.NoError(t, Emit(&stdout, r, o))
	var jsonOut bytes.Buffer
	require.NoError(t, Emit(&jsonOut, r, Options{Format: "json"}))
	var changes bytes.Buffer
	require.NoError(t, Changes(&changes, hostileResult(rand.New(rand.NewPCG(1, 2))), r, time.Unix(0, 0)))

	outputs := map[string][]byte{"stdout": stdout.Bytes(), "stdout -o json": jsonOut.Bytes(), "changes": changes.Bytes()}
	for _, f := range []string{"junit.xml", "report.json", "summary.md", "results.json", "staff/result.json", "staff/junit.xml", "staff/scorecard.txt"} {
		if b, err := os.ReadFile(p(f)); err == nil {
			outputs[f] = b
		} else {
			require.True(t, f == "results.json" && (partial || r.Verdict == result.Errored), "%s: %v", f, err)
		}
	}
	diags, _ := filepath.Glob(p("staff/diagnostics/*.json"))
	for _, f := range diags {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		outputs[f] = b
	}
	for name, b := range outputs {
		cleanLines(t, name, b, false)
	}
	cleanLines(t, "stderr", stderr.Bytes(), true)
	annotations := len(r.Refused)
	for _, c := range r.Checks {
		if c.Outcome != result.Pass {
			annotations++
		}
	}
	assert.Equal(t, annotations, strings.Count(stderr.String(), "\n"), "one annotation line per refusal and failing check: %q", stderr.String())

	// every JSON parses, lists are lists
	for _, name := range []string{"stdout -o json", "report.json", "staff/result.json", "results.json"} {
		b, ok := outputs[name]
		if !ok {
			continue
		}
		var v map[string]any
		require.NoError(t, json.Unmarshal(b, &v), name)
		for _, k := range []string{"phases", "checks"} {
			if name != "results.json" {
				assert.IsType(t, []any{}, v[k], "%s: %s", name, k)
			}
		}
		if name == "results.json" {
			assert.IsType(t, []any{}, v["tests"], "Gradescope tests")
		}
	}
	for _, f := range diags {
		var v any
		require.NoError(t, json.Unmarshal(outputs[f], &v), f)
	}
	// every XML is well-formed and holds to the JUnit schema
	for _, name := range []string{"junit.xml", "staff/junit.xml"} {
		dec := xml.NewDecoder(bytes.NewReader(outputs[name]))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "%s:\n%s", name, outputs[name])
		}
	}
	junitMatchesSchema(t, r)
	// the Markdown table keeps its three cells whatever a cell holds
	for _, l := range strings.Split(string(outputs["summary.md"]), "\n") {
		if strings.HasPrefix(l, "| ") {
			assert.Equal(t, 4, len(unescapedPipe.FindAllString(" "+l, -1)), "a table row: %q", l)
		}
	}
}

var unescapedPipe = regexp.MustCompile(`[^\\]\|`)

// cleanLines: no line is a workflow command, but labgrade's own ::error
// (annotations true); no "##[" anywhere; no control but "\n"; valid UTF-8.
func cleanLines(t *testing.T, name string, b []byte, annotations bool) {
	t.Helper()
	require.True(t, utf8.Valid(b), "%s is valid UTF-8", name)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
			require.True(t, annotations && strings.HasPrefix(l, "::error "), "%s: a workflow command: %q", name, l)
			// the properties end at the first "::"; the runner reads
			// file, line and title there and nothing else
			props, _, ok := strings.Cut(strings.TrimPrefix(l, "::error "), "::")
			require.True(t, ok, l)
			for _, prop := range strings.Split(props, ",") {
				require.Regexp(t, `^(file|line|title)=`, prop, "%s: %q", name, l)
			}
		}
		require.False(t, legacyCommand.MatchString(l), "%s: %q", name, l)
		for _, r := range l {
			require.False(t, r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || unsafeFormat(r), "%s: %U in %q", name, r, l)
		}
	}
}

// With colour, the only escape sequences are labgrade's own SGR codes.
func TestHostileColour(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for range 100 {
		var b bytes.Buffer
		require.NoError(t, Terminal(&b, hostileResult(rng), true))
		cleanLines(t, "colour scorecard", []byte(sgr.ReplaceAllString(b.String(), "")), false)
	}
}

// TestSanitizeCoversEveryString fills every string of a result (found by
// reflection, so a field added later is covered too) with an escape and a
// workflow command, and requires sanitize to leave none: a new field
// sanitize forgets fails here.
func TestSanitizeCoversEveryString(t *testing.T) {
	const bad = "\x1b[31m\n::warning::x"
	r := &result.Result{}
	fill(reflect.ValueOf(r).Elem(), bad)
	require.Contains(t, r.Checks[0].Diagnostics.Pods[0].Containers[0].LastLogs[0], "\x1b", "fill reached the deepest string")
	r.Checks[0].Diagnostics.Object = map[string]any{bad: []any{bad, map[string]any{bad: bad}}}
	var dirty []string
	walkStrings(reflect.ValueOf(sanitize(r)).Elem(), "Result", func(path, s string) {
		if strings.Contains(s, "\x1b") || strings.Contains(s, "\n::") || strings.HasPrefix(s, "::") {
			dirty = append(dirty, path)
		}
	})
	assert.Empty(t, dirty, "strings sanitize leaves as they were")
}

// fill sets every string in v to s, giving every slice one element and
// every pointer a value.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), s)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), s)
	}
}

func walkStrings(v reflect.Value, path string, visit func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		visit(path, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, visit)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, visit)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkStrings(k, path+"{key}", visit)
			walkStrings(v.MapIndex(k), path+"{"+k.String()+"}", visit)
		}
	}
}
