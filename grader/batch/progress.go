package batch

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress tells the instructor how the batch goes. On a terminal (live)
// one status line (done/total, running, not passed, errors, ETA) is
// redrawn in place every second, and every other line is printed above
// it; elsewhere (CI logs) each start and end is a plain line of its own.
// It is an io.Writer too, so that the grading session's own lines go
// through it and never tear the status line.
type progress struct {
	w    io.Writer
	live bool

	mu                       sync.Mutex
	total, finished, running int
	notPassed, notGraded     int
	kept                     int
	start                    time.Time
	drawn                    bool
	partial                  []byte // a session line not yet ended
	stopTicker, tickerDone   chan struct{}
}

func newProgress(w io.Writer, live bool, total int) *progress {
	if w == nil {
		w = io.Discard
	}
	p := &progress{w: w, live: live, total: total, start: time.Now()}
	if live {
		p.stopTicker, p.tickerDone = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer close(p.tickerDone)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stopTicker:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// stop ends the live line, leaving the last status printed.
func (p *progress) stop() {
	if !p.live {
		return
	}
	select {
	case <-p.stopTicker:
		return
	default:
	}
	close(p.stopTicker)
	<-p.tickerDone
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// status is the one-line state of the batch.
func (p *progress) status() string {
	s := fmt.Sprintf("batch: %d/%d done, %d running, %d not passed, %d not graded", p.finished, p.total, p.running, p.notPassed, p.notGraded)
	if ran := p.finished - p.kept; ran > 0 && p.finished < p.total {
		left := time.Duration(float64(time.Since(p.start)) / float64(ran) * float64(p.total-p.finished))
		s += ", ETA " + left.Round(time.Second).String()
	}
	return s
}

// redraw draws the status line (live only); mu is held.
func (p *progress) redraw() {
	if p.live {
		fmt.Fprint(p.w, "\r\x1b[K"+p.status())
		p.drawn = true
	}
}

// print writes whole lines above the status line; mu is held.
func (p *progress) print(text string) {
	if p.live && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprint(p.w, text)
	p.redraw()
}

// line prints one line of the batch's own.
func (p *progress) line(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.print(fmt.Sprintf(format, a...) + "\n")
}

// Write passes the session's lines through, whole lines at a time.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	if i := bytes.LastIndexByte(p.partial, '\n'); i >= 0 {
		p.print(string(p.partial[:i+1]))
		p.partial = append(p.partial[:0], p.partial[i+1:]...)
	}
	return len(b), nil
}

// planned counts a submission decided before any grading: a kept grade
// silently, one that cannot be graded with its line.
func (p *progress) planned(e *Entry) {
	if !e.Outcome.Graded() {
		p.done(e)
		p.mu.Lock()
		p.kept++
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished++
	p.kept++
	if e.Outcome == NotPassed {
		p.notPassed++
	}
}

// maxMessageRunes bounds why a submission has no grade on its progress
// line: a long one repeated for a class would bury the others.
const maxMessageRunes = 160

// short is a message's first line, safe and bounded, for a progress line;
// the whole message is in summary.json and diagnostics.txt.
func short(msg string) string {
	r := []rune(safeID(firstLine(msg)))
	if len(r) > maxMessageRunes {
		r = append(r[:maxMessageRunes], []rune(" …")...)
	}
	return string(r)
}

func (p *progress) started(e *Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Attempts == 1 {
		p.running++
	}
	p.print(fmt.Sprintf("[%s] grading in namespace %s (attempt %d)\n", safeID(e.ID), e.Namespace, e.Attempts))
}

func (p *progress) done(e *Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Attempts > 0 {
		p.running--
	}
	p.finished++
	switch {
	case e.Outcome == NotPassed:
		p.notPassed++
	case !e.Outcome.Graded():
		p.notGraded++
	}
	what := string(e.Outcome)
	if e.Score != nil {
		what = fmt.Sprintf("%s, %d/%d", e.Outcome, *e.Score, *e.MaxScore)
	}
	if e.Message != "" {
		what += ": " + short(e.Message)
	}
	text := fmt.Sprintf("[%s] %s in %.1fs", safeID(e.ID), what, e.Seconds)
	if !p.live {
		text = fmt.Sprintf("[%d/%d] %s", p.finished, p.total, text)
	}
	p.print(strings.TrimRight(text, "\n") + "\n")
}
