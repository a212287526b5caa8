package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// hostileIDs are directory names a learner could choose to break out of
// the page: markup, an attribute, a script, a link scheme.
var hostileIDs = []string{
	`<script>alert(1)<`,
	`"onmouseover="alert(1)`,
	`'><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`<!--`,
	`=cmd|' calc'!A0`,
}

// TestHTMLHostile: the class page of hostile ids and check messages
// (which quote </script> and quotes) has exactly the page's own two script
// elements, no event handler attribute, no link out of the output
// directory; its JSON data parses and is summary.json's; its script is
// the one its Content-Security-Policy allows.
func TestHTMLHostile(t *testing.T) {
	l := testLab(t)
	out := t.TempDir()
	// the fake fails the second check of ids starting with '<' or '=',
	// quoting </script> in its message
	subs := submissions(t, append([]string{"pass-1", "fail-1"}, hostileIDs...)...)
	g := newFake()
	r := runBatch(t, context.Background(), Options{Lab: l, Submissions: subs, Out: out, Parallel: 2}, g)
	require.Len(t, r.sum.Submissions, len(subs))

	page := read(t, out, "index.html")
	doc, err := html.Parse(bytes.NewReader(page))
	require.NoError(t, err)

	var scripts []*html.Node
	var cells []string
	var csp string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				assert.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "event handler attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
				if a.Key == "href" {
					assert.True(t, strings.HasPrefix(a.Val, "./") && !strings.Contains(a.Val, ".."), "link %q leaves the output directory", a.Val)
				}
				if a.Key == "src" {
					t.Errorf("<%s src=%q>: the page loads nothing", n.Data, a.Val)
				}
			}
			if n.Data == "meta" && attr(n, "http-equiv") == "Content-Security-Policy" {
				csp = attr(n, "content")
			}
			switch n.Data {
			case "script":
				scripts = append(scripts, n)
			case "img", "iframe", "object", "embed", "link":
				t.Errorf("<%s> element in the page", n.Data)
			}
			if n.Data == "tr" && hasAttr(n, "data-index") {
				cells = append(cells, text(n.FirstChild))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	require.Len(t, scripts, 2, "the page's own scripts only")
	assert.Equal(t, "application/json", attr(scripts[0], "type"))
	var data Summary
	require.NoError(t, json.Unmarshal([]byte(text(scripts[0])), &data), "the page's data is JSON")
	var file Summary
	require.NoError(t, json.Unmarshal(read(t, out, "summary.json"), &file))
	assert.Equal(t, file, data, "the page's numbers are summary.json's")

	inline := text(scripts[1])
	assert.Equal(t, indexScript, inline)
	sum := sha256.Sum256([]byte(inline))
	require.NotEmpty(t, csp, "the page has a Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", "the policy allows the inline script and nothing else")
	assert.Contains(t, csp, "default-src 'none'", "and no network")
	assert.NotContains(t, inline, "innerHTML")

	// each id reads back as the text of its row, exactly
	var ids []string
	for _, s := range subs {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, ids, cells)
	// the quoted </script> is text inside a <pre>, never markup
	assert.True(t, bytes.Contains(page, []byte("&lt;/script&gt;&lt;script&gt;alert(")), "the quoted </script> is text")
}

func TestMarkdownAndCSVHostile(t *testing.T) {
	l := testLab(t)
	out := t.TempDir()
	subs := submissions(t, hostileIDs...)
	r := runBatch(t, context.Background(), Options{Lab: l, Submissions: subs, Out: out, Parallel: 2}, newFake())
	require.Len(t, r.sum.Submissions, len(subs))
	md := string(read(t, out, "summary.md"))
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") {
			// both tables have five columns: six bars of their own, and
			// an id's are escaped
			assert.Equal(t, 6, strings.Count(line, "|")-strings.Count(line, `\|`), line)
		}
		assert.NotContains(t, line, "<script", "no raw tag in the Markdown")
		assert.NotContains(t, line, "<img")
	}
	csvText := string(read(t, out, "summary.csv"))
	assert.Contains(t, csvText, `'=cmd|' calc'!A0`)
	assert.NotContains(t, csvText, "\n=")
}

func hasAttr(n *html.Node, key string) bool { return attr(n, key) != "" }

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text content of n and its descendants.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}

// TestHTMLEmpty: a batch where nothing graded still writes a page that
// parses.
func TestHTMLEmpty(t *testing.T) {
	var b bytes.Buffer
	s := &Summary{Lab: "demo"}
	require.NoError(t, writeHTML(&b, t.TempDir(), s))
	_, err := html.Parse(&b)
	require.NoError(t, err)
}
