package batch

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, 3)
	score, maxScore := 5, 10
	e := &Entry{ID: "ann\x1b[2J", Attempts: 1, Namespace: "demo-ann-1", Outcome: NotPassed, Score: &score, MaxScore: &maxScore, Seconds: 2}
	p.started(e)
	_, _ = p.Write([]byte("[  1.0s] session line\n[  1.1s] half"))
	p.done(e)
	_, _ = p.Write([]byte(" a line\n"))
	p.stop()
	assert.Equal(t, "[ann\\x1b[2J] grading in namespace demo-ann-1 (attempt 1)\n[  1.0s] session line\n"+
		"[1/3] [ann\\x1b[2J] not-passed, 5/10 in 2.0s\n[  1.1s] half a line\n", b.String(),
		"plain lines, whole lines only, no terminal escape from an id")
}

func TestProgressLive(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 2)
	e := &Entry{ID: "ann", Attempts: 1, Namespace: "demo-ann-1", Outcome: Error, Message: "cluster gone\nsecond line"}
	p.started(e)
	p.done(e)
	p.stop()
	out := b.String()
	assert.Contains(t, out, "\r\x1b[Kbatch: 0/2 done, 1 running, 0 not passed, 0 not graded", "the status line is redrawn in place")
	assert.Contains(t, out, "\r\x1b[K[ann] error: cluster gone in 0.0s\n", "a line is printed above it, its first line only")
	assert.True(t, strings.HasSuffix(out, "\r\x1b[K"), "stop clears the status line")
	assert.NotContains(t, out, "second line")
}
