// Package checks runs the check kinds of a lab against a live cluster.
//
// Each kind's execution is one file (resource.go, http.go, access.go...)
// that registers a function for the kind's spec type from init; Run
// dispatches a check to it (registry.go). The kind's spec, defaults and
// validation live in grader/spec, in a file of the same name.
//
// A check returns its evidence, or an error. A *Failure (Failf) is the
// learner's: the cluster did not reach the expected state before the
// check's timeout. Any other error is the environment's or the lab's: the
// API server could not be reached, the grader lacks permission, or the lab
// names something that cannot be checked. Verdict maps the two onto the
// outcomes reports show.
package checks

import (
	"context"
	"errors"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
)

// Env is what every check needs.
type Env struct {
	Clients *cluster.Clients
	// Namespace is the grading's namespace, the default for targets.
	Namespace string
	// LabNamespace is the lab's own (spec.namespace): a check that names
	// it means the grading's namespace, which may be another.
	LabNamespace string
	// LabDir is the lab's directory; files a check names are relative to it.
	LabDir string
}

// ns is the namespace a check that names explicit addresses: the
// grading's when it names none or the lab's own.
func (e Env) ns(explicit string) string {
	if explicit == "" || explicit == e.LabNamespace {
		return e.Namespace
	}
	return explicit
}

// firstAnswerWait is how long a check waits for the API server's first
// answer (an informer's first list, the first round of questions), even
// when its own timeout is shorter. A check's timeout is how long the
// learner's objects may take to come right; it is no verdict on them
// before the grader has seen them once. On a 2-core CI host at load 28,
// requests of every kind (SubjectAccessReviews, GETs, applies) were seen
// to take 4 to 10 s in the API server now and then: a 10 s check whose
// first question got no answer ended in error, a grading of the learner's
// work that had not looked at it.
const firstAnswerWait = 30 * time.Second

// gradingCtxKey holds, in a check's context, the context the check was
// started in: firstAnswer may outlast the check's timeout, never the
// grading (Ctrl-C, a batch's per-submission deadline).
type gradingCtxKey struct{}

// firstAnswer is the context to wait in for the API server's first
// answer: the check's own, but lasting at least firstAnswerWait.
func firstAnswer(ctx context.Context) (context.Context, context.CancelFunc) {
	grading, ok := ctx.Value(gradingCtxKey{}).(context.Context)
	if !ok {
		return context.WithCancel(ctx)
	}
	end := time.Now().Add(firstAnswerWait)
	if d, ok := ctx.Deadline(); ok && d.After(end) {
		end = d
	}
	return context.WithDeadline(grading, end)
}

// interrupted says whether the grading a check runs in was cancelled
// (Ctrl-C), which may happen after the check's own time ran out.
func interrupted(ctx context.Context) bool {
	if grading, ok := ctx.Value(gradingCtxKey{}).(context.Context); ok && errors.Is(grading.Err(), context.Canceled) {
		return true
	}
	return errors.Is(ctx.Err(), context.Canceled)
}

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
