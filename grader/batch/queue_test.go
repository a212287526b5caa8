package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// testLab is a lab of two checks and nothing to build.
func testLab(t *testing.T) *lab.Lab {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	mkdirs(t, dir, "scenario")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(`apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  setup: [{apply: scenario/}]
  passingScore: 50
  checks:
  - id: first
    title: First
    points: 10
    hints: [h]
    resource: {apiVersion: v1, kind: ConfigMap, name: a}
  - id: second
    title: Second
    points: 10
    hints: [h]
    resource: {apiVersion: v1, kind: ConfigMap, name: b}
`), 0o644))
	l, err := lab.Load(dir)
	require.NoError(t, err)
	return l
}

// fakeGrader grades by the submission's id:
//
//	pass*      every check passes
//	fail*      the second check fails
//	hang       blocks until its context ends
//	stuck      never returns, whatever its context
//	flaky      an environment error the first time, then passes
//	env        an environment error every time
//	slow       passes after 200 ms
type fakeGrader struct {
	mu            sync.Mutex
	calls         map[string]int
	dropped       []string
	running, peak int
	release       chan struct{} // closes stuck gradings at the end of a test
}

func newFake() *fakeGrader {
	return &fakeGrader{calls: map[string]int{}, release: make(chan struct{})}
}

func (f *fakeGrader) Grade(ctx context.Context, g runner.Grading) *result.Result {
	f.mu.Lock()
	f.calls[g.Name]++
	n := f.calls[g.Name]
	f.running++
	f.peak = max(f.peak, f.running)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()

	r := &result.Result{Lab: "demo", Submission: g.Name, Namespace: g.Namespace, PassingScore: 50, DurationSeconds: 1.5}
	check := func(id string, o result.Outcome, msg string) {
		r.Checks = append(r.Checks, result.Check{ID: id, Title: strings.ToUpper(id), Outcome: o, MaxPoints: 10, Severity: "required", Message: msg})
	}
	switch id := g.Name; {
	case id == "hang":
		<-ctx.Done()
		r.EnvironmentError = "interrupted (" + context.Cause(ctx).Error() + ")"
	case id == "stuck":
		<-f.release
		r.EnvironmentError = "released"
	case id == "flaky" && n == 1, id == "env":
		r.EnvironmentError = "the API server of kind-demo does not answer"
	case id == "slow":
		select {
		case <-time.After(200 * time.Millisecond):
			check("first", result.Pass, "")
			check("second", result.Pass, "")
		case <-ctx.Done():
			r.EnvironmentError = "interrupted"
		}
	case strings.HasPrefix(id, "fail"), strings.HasPrefix(id, "<"), strings.HasPrefix(id, "="):
		check("first", result.Pass, "")
		check("second", result.Fail, `saw </script><script>alert("x")</script> & 'quotes'`)
	default:
		check("first", result.Pass, "")
		check("second", result.Pass, "")
	}
	r.Tally()
	return r
}

func (f *fakeGrader) DropNamespace(ns string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped = append(f.dropped, ns)
}

func submissions(t *testing.T, ids ...string) []Submission {
	t.Helper()
	root := t.TempDir()
	var subs []Submission
	for _, id := range ids {
		dir := filepath.Join(root, id)
		mkdirs(t, root, id)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "deploy.yaml"), []byte("kind: ConfigMap # "+id+"\n"), 0o644))
		subs = append(subs, Submission{ID: id, Dir: dir})
	}
	return subs
}

type run struct {
	sum    *Summary
	opened int
	log    string
}

func runBatch(t *testing.T, ctx context.Context, o Options, g *fakeGrader) run {
	t.Helper()
	var r run
	var log bytes.Buffer
	o.Progress = &log
	o.Open = func(context.Context, io.Writer) (Grader, error) { r.opened++; return g, nil }
	var err error
	r.sum, err = Run(ctx, o)
	require.NoError(t, err)
	r.log = log.String()
	return r
}

func outcomes(s *Summary) map[string]Outcome {
	m := map[string]Outcome{}
	for _, e := range s.Submissions {
		m[e.ID] = e.Outcome
	}
	return m
}

func TestQueue(t *testing.T) {
	l := testLab(t)
	out := t.TempDir()
	subs := submissions(t, "pass-1", "fail-1", "hang", "stuck", "flaky", "env", "pass-2", "=HYPERLINK(\"x\")")
	g := newFake()
	defer close(g.release)
	o := Options{Lab: l, Submissions: subs, Out: out, Parallel: 3, Deadline: 300 * time.Millisecond, Grace: 200 * time.Millisecond}
	start := time.Now()
	r := runBatch(t, context.Background(), o, g)
	took := time.Since(start)

	assert.Equal(t, map[string]Outcome{
		"pass-1": Passed, "fail-1": NotPassed, "hang": Timeout, "stuck": Timeout, "flaky": Passed, "env": Error,
		"pass-2": Passed, "=HYPERLINK(\"x\")": NotPassed,
	}, outcomes(r.sum))
	assert.Less(t, took, 3*time.Second, "a hanging grader holds its slot no longer than deadline + grace")
	assert.LessOrEqual(t, g.peak, 3+1, "at most Parallel gradings at once (and the stuck one given up)")
	assert.Equal(t, 1, r.opened)
	assert.False(t, r.sum.AllGraded())

	byID := map[string]*Entry{}
	for _, e := range r.sum.Submissions {
		byID[e.ID] = e
	}
	assert.Equal(t, 2, byID["flaky"].Attempts, "an environment error is retried once")
	assert.Equal(t, Namespace("demo", "flaky", 2), byID["flaky"].Namespace, "in a fresh namespace")
	assert.Equal(t, 2, byID["env"].Attempts)
	assert.Contains(t, byID["env"].Message, "does not answer")
	assert.Nil(t, byID["env"].Score, "an error has no score")
	assert.Equal(t, 1, byID["hang"].Attempts, "a deadline is not retried")
	assert.Contains(t, byID["hang"].Message, "deadline")
	assert.Contains(t, byID["stuck"].Message, "slot was given up")
	for _, id := range []string{"pass-1", "fail-1", "hang", "stuck", "flaky", "env"} {
		assert.Contains(t, g.dropped, byID[id].Namespace, "%s's namespace is deleted", id)
	}
	assert.Contains(t, g.dropped, Namespace("demo", "flaky", 1), "the failed attempt's too")

	// per submission files
	for _, id := range []string{"pass-1", "fail-1", "flaky"} {
		dir := filepath.Join(out, id)
		var res result.Result
		require.NoError(t, json.Unmarshal(read(t, dir, "result.json"), &res), id)
		assert.Equal(t, id, res.Submission)
		var gs map[string]any
		require.NoError(t, json.Unmarshal(read(t, dir, "results.json"), &gs), id)
		assert.EqualValues(t, *byID[id].Score, gs["score"])
		require.NoError(t, xml.Unmarshal(read(t, dir, "junit.xml"), new(struct{})), id)
		assert.NotContains(t, string(read(t, dir, "scorecard.txt")), "\x1b", "plain text")
		assert.Contains(t, string(read(t, dir, "diagnostics.txt")), "outcome:    "+string(byID[id].Outcome))
		assert.FileExists(t, filepath.Join(dir, "digest.json"))
	}
	for _, id := range []string{"hang", "env"} {
		dir := filepath.Join(out, id)
		assert.NoFileExists(t, filepath.Join(dir, "results.json"), "no Gradescope grade for %s", id)
		assert.NoFileExists(t, filepath.Join(dir, "digest.json"), "%s is graded again on a rerun", id)
		assert.Contains(t, string(read(t, dir, "diagnostics.txt")), "results.json (Gradescope) not written")
		assert.FileExists(t, filepath.Join(dir, "result.json"))
	}
	assert.Contains(t, string(read(t, filepath.Join(out, "stuck"), "diagnostics.txt")), "the grader did not return")

	// class files
	rows, err := csv.NewReader(bytes.NewReader(read(t, out, "summary.csv"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(subs))
	assert.Equal(t, CSVHeader, rows[0])
	assert.Equal(t, []string{"pass-1", "20", "20", "true", "", "passed"}, rows[1][:6])
	assert.Equal(t, []string{"fail-1", "10", "20", "false", "second", "not-passed"}, rows[2][:6])
	assert.Equal(t, []string{"hang", "", "", "", "", "timeout"}, rows[3][:6], "no score for what was not graded")
	assert.Equal(t, `'=HYPERLINK("x")`, rows[8][0], "an id is never a formula")

	var back Summary
	require.NoError(t, json.Unmarshal(read(t, out, "summary.json"), &back))
	assert.Equal(t, Counts{Total: 8, Graded: 5, Passed: 3, NotPassed: 2, Error: 1, Timeout: 2}, back.Counts)
	assert.Equal(t, []CheckStat{
		{ID: "first", Title: "First", Ran: 5, Passed: 5, PassRate: 100},
		{ID: "second", Title: "Second", Ran: 5, Passed: 3, Failed: 2, PassRate: 60},
	}, back.Checks)
	assert.Equal(t, [10]int{5: 2, 9: 3}, back.Histogram)

	md := string(read(t, out, "summary.md"))
	assert.Less(t, strings.Index(md, "| second |"), strings.Index(md, "| first |"), "the most failed check first")
	assert.Contains(t, md, "| second | 3/5 | 2 | 0 | 60% |")
	assert.Contains(t, md, `| \=HYPERLINK\(\"x\"\) | 10/20 | not-passed |`)
	assert.Contains(t, r.log, "not graded: hang (timeout), stuck (timeout), env (error)")

	// A rerun keeps every grade and grades again only what has none.
	g.mu.Lock()
	before := map[string]int{}
	for k, v := range g.calls {
		before[k] = v
	}
	g.mu.Unlock()
	r2 := runBatch(t, context.Background(), o, g)
	assert.Equal(t, outcomes(r.sum), outcomes(r2.sum))
	assert.Equal(t, 5, r2.sum.Counts.Resumed)
	g.mu.Lock()
	for _, id := range []string{"pass-1", "fail-1", "flaky", "pass-2"} {
		assert.Equal(t, before[id], g.calls[id], "%s was kept", id)
	}
	assert.Equal(t, before["env"]+2, g.calls["env"], "what did not grade is graded again")
	g.mu.Unlock()
	assert.Contains(t, r2.log, "5 already graded (kept")

	// Only graded ones: nothing to do opens no session.
	o.Submissions = subs[:2]
	r3 := runBatch(t, context.Background(), o, g)
	assert.Equal(t, 0, r3.opened, "no session when every grade is kept")
	assert.True(t, r3.sum.AllGraded())

	// A changed submission is graded again; --force grades all again.
	require.NoError(t, os.WriteFile(filepath.Join(subs[0].Dir, "more.yaml"), []byte("x: 1\n"), 0o644))
	r4 := runBatch(t, context.Background(), o, g)
	assert.False(t, r4.sum.Submissions[0].Resumed)
	assert.True(t, r4.sum.Submissions[1].Resumed)
	o.Force = true
	r5 := runBatch(t, context.Background(), o, g)
	assert.Equal(t, 0, r5.sum.Counts.Resumed)
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return b
}

// TestQueueInterrupt: Ctrl-C starts nothing new, stops what runs, drops its
// namespaces and still writes the summary of what was done.
func TestQueueInterrupt(t *testing.T) {
	l := testLab(t)
	out := t.TempDir()
	subs := submissions(t, "pass-1", "hang", "slow", "pass-2", "pass-3", "pass-4")
	g := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// once the hanging one runs: pass-1 is done, slow is under way
		for {
			g.mu.Lock()
			n := g.calls["hang"]
			g.mu.Unlock()
			if n > 0 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	r := runBatch(t, ctx, Options{Lab: l, Submissions: subs, Out: out, Parallel: 2, Grace: time.Second}, g)
	got := outcomes(r.sum)
	assert.Equal(t, Interrupted, got["hang"])
	assert.Equal(t, NotRun, got["pass-4"])
	assert.True(t, r.sum.Interrupted)
	assert.Contains(t, r.log, "interrupted: run the same command again")
	var back Summary
	require.NoError(t, json.Unmarshal(read(t, out, "summary.json"), &back))
	assert.True(t, back.Interrupted)
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Zero(t, g.calls["pass-4"], "nothing new starts after Ctrl-C")
	for _, e := range r.sum.Submissions {
		if e.Attempts > 0 {
			assert.Contains(t, g.dropped, e.Namespace, "%s's namespace is deleted", e.ID)
		}
	}
	assert.Zero(t, g.running, "no grading left running")
}

func TestQueueOpenFails(t *testing.T) {
	l := testLab(t)
	out := t.TempDir()
	o := Options{Lab: l, Submissions: submissions(t, "a", "b"), Out: out, Parallel: 2,
		Open: func(context.Context, io.Writer) (Grader, error) { return nil, assert.AnError }}
	sum, err := Run(context.Background(), o)
	require.NoError(t, err)
	for _, e := range sum.Submissions {
		assert.Equal(t, Error, e.Outcome)
		assert.Contains(t, e.Message, "could not open")
	}
	assert.FileExists(t, filepath.Join(out, "summary.csv"))

	_, err = Run(context.Background(), Options{Lab: l, Out: out, Parallel: 0, Open: o.Open})
	assert.ErrorContains(t, err, "--parallel")
}
