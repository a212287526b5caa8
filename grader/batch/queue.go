package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/faults"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// Grader grades one submission in a namespace of its own, and deletes the
// namespace when asked: a *runner.Session is one. Tests give a fake.
type Grader interface {
	// Grade always returns a result; an environment failure, a deadline
	// or Ctrl-C is its EnvironmentError.
	Grade(ctx context.Context, g runner.Grading) *result.Result
	// DropNamespace starts deleting a namespace and does not wait.
	DropNamespace(ns string)
}

// Options of a batch.
type Options struct {
	Lab         *lab.Lab
	Submissions []Submission
	// Out is the output directory: DIR/<id>/ per submission, the class
	// files at its top.
	Out string
	// Parallel is how many submissions are graded at once (at least 1;
	// DefaultParallel is the usual choice).
	Parallel int
	// Deadline bounds each attempt at grading a submission (0 = none).
	Deadline time.Duration
	// Force grades again what is already graded.
	Force bool
	// Select narrows the checks (a partial grade for every submission).
	Select runner.Selection
	// Open opens the grading session, when the first submission needs
	// grading (not at all when every grade is kept), with progress as its
	// progress writer. Its caller closes it.
	Open func(ctx context.Context, progress io.Writer) (Grader, error)
	// Progress receives the batch's progress; Live makes it one line
	// redrawn in place (a terminal).
	Progress io.Writer
	Live     bool
	// Grace is how long a grading past its deadline or Ctrl-C may take to
	// return before its slot is given to the next submission anyway
	// (0 = 30 s): a grader that does not return can hold no slot for ever.
	Grace time.Duration
}

// FaultPoint is where tests inject an environment error into a grading
// (see package faults): LABGRADE_INJECT_FAULTS=batch-grade:ID=N makes the
// first N attempts at grading submission ID fail as the environment would,
// before anything reaches the cluster, so that the retry in a fresh
// namespace is proven on a real cluster.
const FaultPoint = "batch-grade"

// errDeadline is the cause of a grading's context when its deadline hits.
var errDeadline = errors.New("the submission's grading deadline passed")

// queue is one Run under way.
type queue struct {
	o         Options
	labDigest string
	progress  *progress
}

// Run grades the submissions and writes every file (see files.go and
// summary.go). The error is for what stops the batch itself (a bad
// option, an output directory that cannot be written); a submission that
// cannot be graded is a row of the summary with its outcome, and Ctrl-C
// writes the summary of what was done.
func Run(ctx context.Context, o Options) (*Summary, error) {
	switch {
	case o.Lab == nil:
		return nil, fmt.Errorf("batch: no lab")
	case o.Out == "":
		return nil, fmt.Errorf("batch: no output directory (--out)")
	case o.Parallel < 1:
		return nil, fmt.Errorf("batch: --parallel must be at least 1, not %d", o.Parallel)
	case o.Open == nil:
		return nil, fmt.Errorf("batch: no way to open a grading session")
	case o.Deadline < 0:
		return nil, fmt.Errorf("batch: --deadline must not be negative")
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	exclusive := o.Lab.Spec.Cluster.Exclusive && o.Parallel > 1
	if exclusive { // its gradings share what namespaces do not part
		o.Parallel = 1
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("batch: output directory: %w", err)
	}
	labDigest, err := LabDigest(o.Lab)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	q := &queue{o: o, labDigest: labDigest}
	entries := make([]*Entry, len(o.Submissions))
	var pending []*Entry
	for i, s := range o.Submissions {
		e := q.plan(s)
		entries[i] = e
		if e.Outcome == "" {
			pending = append(pending, e)
		}
	}
	q.progress = newProgress(o.Progress, o.Live, len(entries))
	kept := 0
	for _, e := range entries {
		if e.Outcome != "" {
			q.progress.planned(e)
		}
		if e.Resumed {
			kept++
		}
	}
	q.progress.line("batch: %d submissions of lab %s: %d already graded (kept; --force grades them again), %d to grade, %d at a time",
		len(entries), o.Lab.Name(), kept, len(pending), o.Parallel)
	if exclusive {
		q.progress.line("batch: lab %s needs the cluster to itself (spec.cluster.exclusive): one at a time", o.Lab.Name())
	}

	interrupted := false
	if len(pending) > 0 {
		interrupted = q.gradeAll(ctx, pending)
	}
	q.progress.stop()
	sum := newSummary(o, labDigest, entries, time.Since(start), interrupted)
	if err := writeClassFiles(o.Out, sum); err != nil {
		return sum, err
	}
	q.progress.line("%s", sum.Line())
	return sum, nil
}

// plan decides what to do with one submission: keep its grade (resume),
// record why it cannot be graded, or leave Outcome empty to grade it.
func (q *queue) plan(s Submission) *Entry {
	e := &Entry{ID: s.ID, Dir: s.Dir}
	sub, err := TreeDigest(s.Dir)
	if err != nil {
		e.Outcome, e.Message = Error, fmt.Sprintf("the submission could not be read: %v", err)
		return e
	}
	e.stamp = Stamp{Lab: q.labDigest, Submission: sub, Selection: q.o.Select.String()}
	dir := filepath.Join(q.o.Out, s.ID)
	if q.o.Force || !UpToDate(dir, e.stamp) {
		return e
	}
	b, err := os.ReadFile(filepath.Join(dir, resultFile))
	var r result.Result
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil || graded(&r) == "" {
		return e // unreadable: grade again
	}
	e.fill(&r)
	e.Outcome, e.Resumed = graded(&r), true
	return e
}

// gradeAll opens the session and grades the pending submissions, Parallel
// at a time. It reports whether Ctrl-C stopped it.
func (q *queue) gradeAll(ctx context.Context, pending []*Entry) bool {
	g, err := q.o.Open(ctx, q.progress)
	if err != nil {
		msg := "the grading session could not open: " + report.SafeLines(err.Error())
		out := Error
		if ctx.Err() != nil {
			out, msg = Interrupted, "interrupted while the grading session opened"
		}
		q.progress.line("batch: %s", msg)
		for _, e := range pending {
			e.Outcome, e.Message = out, msg
			q.progress.done(e)
		}
		return ctx.Err() != nil
	}
	Schedule(ctx, q.o.Parallel, len(pending), func(i int) { q.grade(ctx, g, pending[i]) })
	for _, e := range pending {
		if e.Outcome == "" {
			e.Outcome, e.Message = NotRun, "not started: interrupted"
		}
	}
	return ctx.Err() != nil
}

// grade grades one submission: a first attempt, and a second one in a
// fresh namespace when the first could not grade for a reason of the
// environment. A deadline or Ctrl-C is not retried: a submission that
// hangs would hang again, and Ctrl-C means stop.
func (q *queue) grade(ctx context.Context, g Grader, e *Entry) {
	dir := filepath.Join(q.o.Out, e.ID)
	// what an earlier run left must not pass for this run's grade
	if err := clearSubmissionDir(dir); err != nil {
		e.Outcome, e.Message = Error, err.Error()
		q.progress.done(e)
		return
	}
	t0 := time.Now()
	var res *result.Result
	for attempt := 1; attempt <= 2; attempt++ {
		e.Attempts, e.Namespace = attempt, Namespace(q.o.Lab.Spec.Namespace, e.ID, attempt)
		q.progress.started(e)
		var cause error
		res, cause = q.attempt(ctx, g, e)
		// its pods would only slow the gradings still running
		g.DropNamespace(e.Namespace)
		switch {
		case cause == nil && graded(res) != "": // a grade, even if Ctrl-C came just after
			e.Outcome, e.Message = graded(res), ""
		case ctx.Err() != nil:
			e.Outcome, e.Message = Interrupted, "interrupted (Ctrl-C) while grading"
		case cause != nil && res == nil:
			e.Outcome, e.Message = Timeout, fmt.Sprintf("%v (%s) and the grading did not stop within %s: its slot was given up", cause, q.o.Deadline, q.o.Grace)
		case cause != nil:
			e.Outcome, e.Message = Timeout, fmt.Sprintf("%v (%s)", cause, q.o.Deadline)
		default:
			e.Outcome, e.Message = Error, EnvironmentError(res)
			if attempt == 1 {
				q.progress.line("[%s] could not grade (%s): once more in a fresh namespace", safeID(e.ID), short(e.Message))
				continue
			}
		}
		break
	}
	e.Seconds = time.Since(t0).Round(time.Millisecond).Seconds()
	if res != nil {
		e.fill(res)
	}
	if err := writeSubmissionFiles(dir, e, res); err != nil {
		e.Outcome, e.Message = Error, err.Error()
	} else if e.Outcome.Graded() {
		if err := writeStamp(dir, e.stamp); err != nil {
			e.Message = err.Error() // graded, but a rerun grades it again
		}
	}
	q.progress.done(e)
}

// attempt grades once under the deadline. cause is set when the deadline
// (or Ctrl-C) cut it; res is nil when the grader did not return within
// the grace after that.
func (q *queue) attempt(ctx context.Context, g Grader, e *Entry) (res *result.Result, cause error) {
	actx, cancel := context.WithCancel(ctx)
	if q.o.Deadline > 0 {
		actx, cancel = context.WithTimeoutCause(ctx, q.o.Deadline, errDeadline)
	}
	defer cancel()
	if faults.Enabled() {
		if err := faults.At(FaultPoint + ":" + e.ID); err != nil {
			r := &result.Result{Lab: q.o.Lab.Name(), Submission: e.ID, Namespace: e.Namespace, EnvironmentError: err.Error()}
			r.Tally()
			return r, nil
		}
	}
	done := make(chan *result.Result, 1) // never blocks a grader we stopped waiting for
	go func() {
		done <- g.Grade(actx, runner.Grading{
			Namespace: e.Namespace, Submission: e.Dir, Name: e.ID, Setup: runner.Fresh, Select: q.o.Select,
		})
	}()
	select {
	case res = <-done:
	case <-actx.Done():
		select {
		case res = <-done:
		case <-time.After(q.o.Grace):
		}
	}
	if actx.Err() != nil && (res == nil || graded(res) == "") {
		return res, context.Cause(actx)
	}
	return res, nil
}

// graded is the outcome of a result that is a grade, "" for one that is
// not (an environment error, a check the environment broke).
func graded(r *result.Result) Outcome {
	if r.EnvironmentError != "" {
		return ""
	}
	switch r.Verdict {
	case result.Passed:
		return Passed
	case result.NotPassed:
		return NotPassed
	case result.Partial:
		return Partial
	}
	return ""
}

// IsGrade reports whether a result grades its submission: no
// environment error, and a verdict of passed, not passed or partial. One
// that is not is graded once more in a fresh namespace (batch and lab
// test alike).
func IsGrade(r *result.Result) bool { return graded(r) != "" }

// EnvironmentError says why a result is not a grade. It may quote what
// the API server said of the learner's objects: it goes through SafeLines
// before it reaches summary.json and the progress lines.
func EnvironmentError(r *result.Result) string {
	if r.EnvironmentError != "" {
		return report.SafeLines(r.EnvironmentError)
	}
	var errs []string
	for _, c := range r.Checks {
		if c.Outcome == result.Error {
			errs = append(errs, fmt.Sprintf("check %s ended in error: %s", c.ID, c.Message))
		}
	}
	if len(errs) == 0 {
		return "the grading ended in verdict " + string(r.Verdict)
	}
	return report.SafeLines(strings.Join(errs, "\n"))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
