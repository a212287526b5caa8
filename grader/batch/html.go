package batch

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// The class page is one file that needs no network: its style and script
// are inline, and its Content-Security-Policy allows nothing else (no
// fetch, no image, no script but the one whose hash it names), so even
// markup that got through could load and run nothing.
//
// Every learner string reaches the page through html/template, which
// escapes it for where it lands (text, attribute, URL); the data the
// script sorts by is JSON in a <script type="application/json"> element,
// escaped by the template so that no "</script>" can end it, and the
// script reads it with JSON.parse and moves existing rows: it never builds
// markup from a string.

//go:embed index.html.tmpl
var indexTemplate string

//go:embed index.js
var indexScript string

var page = template.Must(template.New("index").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.0f", f) },
}).Parse(indexTemplate))

// maxDiagnosticsBytes bounds one submission's diagnostics on the page
// (its logs may be long); the whole file is a link away.
const maxDiagnosticsBytes = 16 << 10

// pageData is what the template fills the page with.
type pageData struct {
	S         *Summary
	Rows      []pageRow
	Checks    []CheckStat
	Histogram []histBar
	Script    template.JS
	CSP       string
}

type pageRow struct {
	*Entry
	Index int
	Score string
	// Dir is the relative link to the submission's files.
	Dir                    template.URL
	Scorecard, Diagnostics string
}

type histBar struct {
	Label  string
	Count  int
	Height float64 // percent of the tallest bar
}

func writeHTML(w io.Writer, dir string, s *Summary) error {
	d := pageData{S: s, Checks: s.ByMostFailed(), Script: template.JS(indexScript)}
	sum := sha256.Sum256([]byte(indexScript))
	d.CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	tallest := 1
	for _, n := range s.Histogram {
		tallest = max(tallest, n)
	}
	for i, n := range s.Histogram {
		label := fmt.Sprintf("%d–%d", i*10, i*10+9)
		if i == 9 {
			label = "90–100"
		}
		d.Histogram = append(d.Histogram, histBar{Label: label, Count: n, Height: float64(n) * 100 / float64(tallest)})
	}
	for i, e := range s.Submissions {
		r := pageRow{Entry: e, Index: i, Score: "–"}
		if e.Score != nil {
			r.Score = fmt.Sprintf("%d/%d", *e.Score, *e.MaxScore)
		}
		// an id is one path segment (CheckID): escaped, it can only name
		// its own directory, never a scheme or a parent
		r.Dir = template.URL("./" + url.PathEscape(e.ID) + "/")
		r.Scorecard = readCapped(filepath.Join(dir, e.ID, scorecardFile), maxDiagnosticsBytes)
		r.Diagnostics = readCapped(filepath.Join(dir, e.ID, diagnosticsFile), maxDiagnosticsBytes)
		d.Rows = append(d.Rows, r)
	}
	return page.Execute(w, d)
}

// readCapped is a file's first max bytes as text ("" when absent).
func readCapped(path string, max int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "") + "\n… (cut: the whole file is linked above)"
	}
	return string(b)
}
