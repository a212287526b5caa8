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

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
