//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/batch"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// EnvChromium names the headless Chromium TestBatchReportInBrowser drives;
// `make e2e` sets it from hack/browser.sh.
const EnvChromium = "LABGRADE_CHROMIUM"

// The payloads a learner can put in the text the grader quotes (check
// messages, what the API server and the pods said, refused object names,
// problems): markup with a handler, a script that closes the one it lands
// in, link schemes, template syntax, a line no browser can wrap at a
// space, and a right-to-left override that would make text read other
// than it is.
const (
	payloadImg      = `<img src=x onerror="window.__pwned=1">`
	payloadScript   = `</script><script>window.__pwned=2</script>`
	payloadJSURL    = `javascript:window.__pwned=4`
	payloadAnchor   = `<a href="javascript:window.__pwned=5">fix</a>`
	payloadTemplate = `{{.CSP}}{{template "index" .}}{{range .Rows}}`
	payloadRTL      = "gpj.\u202eexe.evil"
	// payloadJSON ends the page's JSON data if it is not escaped: it is
	// an environment error, which summary.json (and so the page's data)
	// keeps as the submission's message.
	payloadJSON = `</script><script>window.__pwned=3</script><!--`
)

var payloadLong = "sha256:" + strings.Repeat("0123456789abcdef", 250) // 4007 bytes, no space

// browserGrader is a batch.Grader that needs no cluster: it grades by the
// submission's id.
//
//	ada  every check passes            30/30 passed
//	bob  third fails                   20/30 not passed
//	cyd  the environment fails twice   error (its message is payloadJSON)
//	eve  second and third fail         10/30 not passed, every payload
type browserGrader struct{}

func (browserGrader) DropNamespace(string) {}

func (browserGrader) Grade(_ context.Context, g runner.Grading) *result.Result {
	r := &result.Result{Lab: "browser", Title: "Browser", Submission: g.Name, Namespace: g.Namespace, PassingScore: 50, DurationSeconds: 1.25}
	check := func(id string, o result.Outcome, msg string, hints ...string) *result.Check {
		r.Checks = append(r.Checks, result.Check{ID: id, Title: strings.ToUpper(id), Outcome: o, MaxPoints: 10, Severity: "required", Message: msg, Hints: hints})
		return &r.Checks[len(r.Checks)-1]
	}
	switch g.Name {
	case "ada":
		check("first", result.Pass, "")
		check("second", result.Pass, "")
		check("third", result.Pass, "")
	case "bob":
		check("first", result.Pass, "")
		check("second", result.Pass, "")
		check("third", result.Fail, "ConfigMap/c has no key mode", "set data.mode")
	case "cyd":
		check("first", result.Pass, "")
		r.EnvironmentError = "the API server said of ConfigMap/x: " + payloadJSON
	case "eve":
		check("first", result.Pass, "")
		c := check("second", result.Fail, "Deployment/web says "+payloadImg+" "+payloadScript, "see "+payloadJSURL+" or "+payloadAnchor)
		c.Subject, c.File, c.Line = "Deployment/"+payloadImg, "deploy.yaml", 3
		c.Diagnostics = &result.Diagnostics{
			Summary: "image " + payloadTemplate,
			Events:  []string{"Warning Failed: " + payloadScript, "Normal Pulled " + payloadRTL},
			Pods: []result.PodDiagnosis{{Name: "web-" + payloadImg, Phase: "Running", Containers: []result.ContainerDiagnosis{
				{Name: "app", State: "CrashLoopBackOff", Restarts: 3, LastLogs: []string{payloadLong, payloadAnchor}},
			}}},
		}
		check("third", result.Fail, "file "+payloadRTL+" and "+payloadTemplate+" "+payloadLong)
		r.Refused = []result.Refusal{{File: "evil.yaml", Line: 1, Object: "ConfigMap/" + payloadImg, Why: "in namespace " + payloadScript}}
		r.Problems = []string{"ConfigMap " + payloadJSURL + ": " + payloadAnchor}
	}
	r.Tally()
	return r
}

// browserRow is a row of the class table as the page shows it.
type browserRow struct {
	Index   int    `json:"index"`
	ID      string `json:"id"`
	Score   string `json:"score"`
	Outcome string `json:"outcome"`
	Failed  string `json:"failed"`
	Seconds string `json:"seconds"`
}

// classRowsJS reads the class table in its current order, each column
// found by the data-sort key of its header.
const classRowsJS = `(() => {
  const col = k => document.querySelector('#class th[data-sort="' + k + '"]').cellIndex;
  const c = {id: col("id"), score: col("score"), outcome: col("outcome"), failed: col("failed"), seconds: col("seconds")};
  return Array.from(document.querySelectorAll("#class-rows > tr[data-index]"), tr => ({
    index: +tr.dataset.index,
    id: tr.cells[c.id].innerText, score: tr.cells[c.score].innerText, outcome: tr.cells[c.outcome].innerText,
    failed: tr.cells[c.failed].innerText, seconds: tr.cells[c.seconds].innerText,
  }));
})()`

type browserCheck struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Title  string `json:"title"`
	Passed string `json:"passed"`
	Rate   string `json:"rate"`
	Bar    string `json:"bar"`
}

const checksJS = `Array.from(document.querySelectorAll("#checks tr[data-check]"), tr => ({
  id: tr.dataset.check, name: tr.cells[0].innerText, title: tr.cells[0].title,
  passed: tr.querySelector('[data-col="passed"]').innerText,
  rate: tr.querySelector('[data-col="rate"]').innerText,
  bar: tr.querySelector(".bar > div").style.width,
}))`

type browserBin struct {
	Bin   int    `json:"bin"`
	Count string `json:"count"`
	Label string `json:"label"`
}

const histogramJS = `Array.from(document.querySelectorAll("#histogram > [data-bin]"), d => ({
  bin: +d.dataset.bin, count: d.querySelector('[data-col="count"]').innerText, label: d.querySelector('[data-col="label"]').innerText,
}))`

// injectionJS counts what markup a payload could have made: images,
// scripts, frames, event handler attributes, links that are not the
// page's own ./<id>/ ones.
const injectionJS = `(() => {
  const all = Array.from(document.querySelectorAll("*"));
  return {
    pwned: typeof window.__pwned,
    img: document.querySelectorAll("img").length,
    script: document.querySelectorAll("script").length,
    frames: document.querySelectorAll("iframe, object, embed, link, base, form, meta[http-equiv=refresh]").length,
    handlers: all.filter(e => Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith("on"))).map(e => e.tagName),
    links: Array.from(document.querySelectorAll("a"), a => a.getAttribute("href")),
    bodyText: document.body.textContent,
  };
})()`

type injection struct {
	Pwned    string   `json:"pwned"`
	Img      int      `json:"img"`
	Script   int      `json:"script"`
	Frames   int      `json:"frames"`
	Handlers []string `json:"handlers"`
	Links    []string `json:"links"`
	BodyText string   `json:"bodyText"`
}

// TestBatchReportInBrowser opens the class page of a batch (pass, not
// passed, error, and a submission whose grading quotes hostile text) in
// headless Chromium, with no cluster: the page loads with no console
// error, exception or CSP violation; its class table, per-check pass
// counts and score distribution are summary.json's; a column header sorts
// the table; a submission's scorecard opens to its text; and no payload
// becomes markup or runs, before or after the hostile scorecard and
// diagnostics are opened: each reads back as text.
func TestBatchReportInBrowser(t *testing.T) {
	t.Parallel() // a few seconds and no cluster: it takes no lane

	bin := os.Getenv(EnvChromium)
	if bin == "" {
		t.Fatalf("%s is not set: it names the headless Chromium this test needs; `make e2e` sets it, or run %s=$(hack/browser.sh | tail -n 1) go test -tags e2e -run TestBatchReportInBrowser ./e2e/", EnvChromium, EnvChromium)
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("%s=%s: no such browser (%v); hack/browser.sh installs one and prints its path", EnvChromium, bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// the class, written by the batch package itself
	out := filepath.Join(t.TempDir(), "out")
	ids := []string{"ada", "bob", "cyd", "eve"}
	sum, err := batch.Run(ctx, batch.Options{
		Lab: browserLab(t), Submissions: browserSubmissions(t, ids...), Out: out, Parallel: 2, Progress: io.Discard,
		Open: func(context.Context, io.Writer) (batch.Grader, error) { return browserGrader{}, nil },
	})
	require.NoError(t, err)
	var want batch.Summary
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &want))
	outcomes := map[string]batch.Outcome{}
	for _, e := range want.Submissions {
		outcomes[e.ID] = e.Outcome
	}
	require.Equal(t, map[string]batch.Outcome{"ada": batch.Passed, "bob": batch.NotPassed, "cyd": batch.Error, "eve": batch.NotPassed}, outcomes,
		"the class has the outcomes this test is about (summary: %s)", sum.Line())

	// one headless browser; its output is shown only when the test fails
	var browserLog bytes.Buffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, // root in CI and containers
		chromedp.WindowSize(1280, 900), chromedp.CombinedOutput(&browserLog))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	defer func() {
		if t.Failed() {
			t.Logf("browser output:\n%s", browserLog.String())
		}
	}()

	// every console message, exception and browser log entry (CSP
	// violations are errors of the browser log), up to a marker the test
	// writes last: no message can arrive after it is read
	const endMarker = "labgrade-browser-test: end"
	var (
		mu       sync.Mutex
		messages []chromedp.ConsoleMessage
		ended    = make(chan struct{})
	)
	console := chromedp.Console(bctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleInfo && m.Text == endMarker {
				close(ended)
				return
			}
			mu.Lock()
			messages = append(messages, m)
			mu.Unlock()
		}
	}()

	start := time.Now()
	pageURL := (&url.URL{Scheme: "file", Path: filepath.Join(out, "index.html")}).String()
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.ID("batch-data"))), "opening %s", pageURL)

	injected := func(when string) {
		t.Helper()
		got, err := chromedp.Run(bctx, chromedp.Evaluate[injection](injectionJS))
		require.NoError(t, err)
		assert.Equal(t, "undefined", got.Pwned, "%s: a payload ran (window.__pwned is set)", when)
		assert.Zero(t, got.Img, "%s: <img> elements", when)
		assert.Equal(t, 2, got.Script, "%s: the page's own two scripts only", when)
		assert.Zero(t, got.Frames, "%s: frames, objects, links, forms or bases", when)
		assert.Empty(t, got.Handlers, "%s: elements with an event handler attribute", when)
		wantLinks := make([]string, len(ids))
		for i, id := range ids {
			wantLinks[i] = "./" + id + "/"
		}
		assert.ElementsMatch(t, wantLinks, got.Links, "%s: the only links are each submission's files", when)
		assert.NotContains(t, got.BodyText, "\u202e", "%s: a bidi override reached the page", when)
	}
	injected("after load")

	// the page's data is summary.json's
	data, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.ID("batch-data")))
	require.NoError(t, err)
	var fromPage batch.Summary
	require.NoError(t, json.Unmarshal([]byte(data), &fromPage), "the page's data is JSON")
	assert.Equal(t, want, fromPage, "the page's data is summary.json's")

	// the counts
	for id, n := range map[string]int{"graded": want.Counts.Graded, "passed": want.Counts.Passed} {
		got, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(id)))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(n), got, "#%s", id)
	}
	counts, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("counts")))
	require.NoError(t, err)
	c := want.Counts
	for _, s := range []string{
		fmt.Sprintf("%d submissions: %d graded", c.Total, c.Graded),
		fmt.Sprintf("(%d passed, %d not passed, %d partial)", c.Passed, c.NotPassed, c.Partial),
		fmt.Sprintf("%d error, %d timeout", c.Error, c.Timeout),
	} {
		assert.Contains(t, counts, s)
	}

	// the class table, in summary.json's order
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]browserRow](classRowsJS))
	require.NoError(t, err)
	wantRows := make([]browserRow, len(want.Submissions))
	for i, e := range want.Submissions {
		score := "–"
		if e.Score != nil {
			score = fmt.Sprintf("%d/%d", *e.Score, *e.MaxScore)
		}
		wantRows[i] = browserRow{Index: i, ID: e.ID, Score: score, Outcome: string(e.Outcome), Failed: strings.Join(e.Failed, ", "), Seconds: fmt.Sprintf("%.1f", e.Seconds)}
	}
	assert.Equal(t, wantRows, rows, "the class table")
	assert.Equal(t, []string{"30/30", "20/30", "–", "10/30"}, rowField(rows, func(r browserRow) string { return r.Score }))

	// per check: passed/ran, rate and bar, most failed first
	checks, err := chromedp.Run(bctx, chromedp.Evaluate[[]browserCheck](checksJS))
	require.NoError(t, err)
	var wantChecks []browserCheck
	for _, ch := range want.ByMostFailed() {
		rate := fmt.Sprintf("%.0f%%", ch.PassRate)
		wantChecks = append(wantChecks, browserCheck{ID: ch.ID, Name: ch.ID, Title: ch.Title, Passed: fmt.Sprintf("%d/%d", ch.Passed, ch.Ran), Rate: rate, Bar: rate})
	}
	assert.Equal(t, wantChecks, checks, "the per-check table")
	assert.Equal(t, []string{"1/3", "2/3", "3/3"}, rowField(checks, func(c browserCheck) string { return c.Passed }), "third fails twice, second once")

	// the score distribution
	bins, err := chromedp.Run(bctx, chromedp.Evaluate[[]browserBin](histogramJS))
	require.NoError(t, err)
	var wantBins []browserBin
	for i, n := range want.Histogram {
		label := fmt.Sprintf("%d–%d", i*10, i*10+9)
		if i == 9 {
			label = "90–100"
		}
		wantBins = append(wantBins, browserBin{Bin: i, Count: fmt.Sprint(n), Label: label})
	}
	assert.Equal(t, wantBins, bins, "the score distribution")
	assert.Equal(t, [10]int{3: 1, 6: 1, 9: 1}, want.Histogram, "33%, 67% and 100%; the error has no score")

	// sorting: score ascending (no score first), descending, then id
	byScore := slices.Clone(want.Submissions)
	percent := func(e *batch.Entry) float64 {
		if e.Percent == nil {
			return -1
		}
		return *e.Percent
	}
	slices.SortStableFunc(byScore, func(a, b *batch.Entry) int { return cmp.Compare(percent(a), percent(b)) })
	ascending := entryIDs(byScore)
	require.NotEqual(t, ids, ascending, "sorting by score must change the order for this test to prove it")
	descending := slices.Clone(ascending)
	slices.Reverse(descending)
	byID := slices.Sorted(slices.Values(ids))
	for _, step := range []struct {
		key, dir string
		want     []string
	}{
		{"score", "ascending", ascending},
		{"score", "descending", descending},
		{"id", "ascending", byID},
	} {
		th := `#class th[data-sort="` + step.key + `"]`
		require.NoError(t, chromedp.Do(bctx,
			chromedp.Click(chromedp.CSS(th)),
			chromedp.WaitReady(chromedp.CSS(th+`[aria-sort="`+step.dir+`"]`))), "sorting by %s", step.key)
		rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]browserRow](classRowsJS))
		require.NoError(t, err)
		assert.Equal(t, step.want, rowField(rows, func(r browserRow) string { return r.ID }), "sorted by %s, %s", step.key, step.dir)
		for _, r := range rows { // the rows moved whole
			assert.Equal(t, wantRows[r.Index], r)
		}
		other, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`#class th[data-sort="outcome"]`), "aria-sort"))
		require.NoError(t, err)
		assert.Equal(t, "none", other.Value, "only the sorted column says it is sorted")
	}

	// a scorecard opens to its text (the scorecard.txt of its directory;
	// the HTML parser drops the newline that starts a <pre>)
	open := func(id, file string) string {
		t.Helper()
		row := fmt.Sprintf(`#class-rows > tr[data-index="%d"]`, slices.Index(ids, id))
		details := row + ` details[data-file="` + file + `"]`
		pre := details + ` > pre`
		el := "document.querySelector('" + pre + "')"
		// a closed <details> keeps its content laid out (offsetWidth is
		// not 0), so visible is what checkVisibility says
		shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](el+`.checkVisibility()`))
		require.NoError(t, err)
		require.False(t, shown, "the %s of %s is shown before it is opened", file, id)
		require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(details+` > summary`))), "clicking the %s of %s", file, id)
		require.NoError(t, waitFor(bctx, el+`.checkVisibility() && `+el+`.parentElement.open`), "opening the %s of %s", file, id)
		text, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.CSS(pre)))
		require.NoError(t, err)
		name := map[string]string{"scorecard": "scorecard.txt", "diagnostics": "diagnostics.txt"}[file]
		onDisk, err := os.ReadFile(filepath.Join(out, id, name))
		require.NoError(t, err)
		assert.Equal(t, strings.TrimPrefix(string(onDisk), "\n"), text, "the %s of %s is its %s", file, id, name)
		// a learner's long line wraps: it neither runs out of its box nor
		// makes the page wider than the window
		wide, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[`+el+`.scrollWidth, `+el+`.clientWidth, document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
		require.NoError(t, err)
		require.Len(t, wide, 4)
		assert.LessOrEqual(t, wide[0], wide[1], "the %s of %s runs out of its box (a long line must wrap)", file, id)
		assert.LessOrEqual(t, wide[2], wide[3], "the page is wider than the window with the %s of %s open", file, id)
		return text
	}
	bob := open("bob", "scorecard")
	assert.Contains(t, bob, "ConfigMap/c has no key mode")
	assert.Contains(t, bob, "Score 20/30")
	visible, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#class-rows > tr[data-index="1"] details[data-file="scorecard"] > pre`)))
	require.NoError(t, err)
	assert.Contains(t, visible, "NOT PASSED", "the opened scorecard is rendered text")

	// the hostile submission: every payload is text, none is markup
	eve := open("eve", "scorecard")
	eveDiag := open("eve", "diagnostics")
	cydDiag := open("cyd", "diagnostics")
	injected("after opening the hostile scorecard and diagnostics")
	for _, p := range []string{payloadImg, payloadScript, payloadJSURL, payloadAnchor, payloadTemplate, payloadLong} {
		assert.Contains(t, eve, p, "the scorecard shows the payload as text")
		assert.Contains(t, eveDiag, p, "the diagnostics show the payload as text")
	}
	assert.Contains(t, eve, `gpj.\u202eexe.evil`, "the bidi override is shown escaped")
	assert.Contains(t, cydDiag, payloadJSON, "the environment error is text")
	for _, m := range fromPage.Submissions {
		if m.ID == "cyd" {
			assert.Contains(t, m.Message, payloadJSON, "the page's data keeps the message whole")
		}
	}

	// nothing on the console, from first to last
	_, err = chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](`console.info("`+endMarker+`")`))
	require.NoError(t, err)
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatalf("the console's end marker never came: %v", ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range messages {
		switch {
		case m.Type == chromedp.ConsoleError || m.IsException():
			t.Errorf("console %s (%s:%d): %s", m.Type, m.URL, m.Line, m.Text)
		case m.Source == "security":
			t.Errorf("browser security message (a CSP violation?): %s", m)
		default:
			t.Logf("console %s: %s", m.Type, m.Text)
		}
	}
	t.Logf("the browser part took %s", time.Since(start).Round(time.Millisecond))
}

// browserLab is a lab of three checks of 10 points, nothing to build.
func browserLab(t *testing.T) *lab.Lab {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "browser")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scenario"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"), 0o644))
	var checks strings.Builder
	for _, id := range []string{"first", "second", "third"} {
		fmt.Fprintf(&checks, "  - id: %s\n    title: %s check\n    points: 10\n    hints: [h]\n    resource: {apiVersion: v1, kind: ConfigMap, name: %s}\n", id, strings.ToUpper(id[:1])+id[1:], id)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(`apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: browser}
spec:
  title: Browser
  namespace: browser
  setup: [{apply: scenario/}]
  passingScore: 50
  checks:
`+checks.String()), 0o644))
	l, err := lab.Load(dir)
	require.NoError(t, err)
	return l
}

func browserSubmissions(t *testing.T, ids ...string) []batch.Submission {
	t.Helper()
	root := t.TempDir()
	var subs []batch.Submission
	for _, id := range ids {
		dir := filepath.Join(root, id)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("kind: ConfigMap # "+id+"\n"), 0o644))
		subs = append(subs, batch.Submission{ID: id, Dir: dir})
	}
	return subs
}

func rowField[R any](rows []R, f func(R) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

func entryIDs(es []*batch.Entry) []string {
	return rowField(es, func(e *batch.Entry) string { return e.ID })
}

// waitFor waits until the JavaScript condition holds, testing it once a
// frame. It runs as Runtime.evaluate, which the page's CSP lets be: the
// waits of chromedp that poll build their predicate with new Function,
// an eval the page's script-src refuses.
func waitFor(ctx context.Context, cond string) error {
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`new Promise(ok => { const f = () => (`+cond+`) ? ok(true) : requestAnimationFrame(f); f(); })`, chromedp.EvalAwaitPromise))
	return err
}
