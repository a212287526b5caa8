// Package checks runs the check kinds of a lab against a live cluster.
//
// Each check ends pass, fail or error. Fail is the learner's: the cluster
// did not reach the expected state before the check's timeout. Error is the
// environment's or the lab's: the API server could not be reached, the
// grader lacks permission, or the lab names something that cannot be
// checked.
package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/expr"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// Env is what every check needs.
type Env struct {
	Clients *cluster.Clients
	// Namespace is the lab namespace, the default for targets.
	Namespace string
	// LabDir is the lab's directory; files a check names are relative to it.
	LabDir string
}

// Outcome is a check's verdict and its reason. A passing check may carry a
// message too (what it measured).
type Outcome struct {
	Outcome result.Outcome
	Message string
}

func pass() Outcome                        { return Outcome{Outcome: result.Pass} }
func fail(format string, a ...any) Outcome { return Outcome{result.Fail, fmt.Sprintf(format, a...)} }
func errored(format string, a ...any) Outcome {
	return Outcome{result.Error, fmt.Sprintf(format, a...)}
}

// Run runs one check, bounded by its timeout. progs are the check's
// compiled CEL expressions.
func Run(ctx context.Context, env Env, c *spec.Check, progs []*expr.Program) Outcome {
	timeout := c.Timeout.Duration
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case c.Resource != nil:
		return runResource(ctx, env, c.Resource, progs)
	case c.Absent != nil:
		return runAbsent(ctx, env, c.Absent, progs)
	case c.HTTP != nil:
		return runHTTP(ctx, env, c.HTTP, progs)
	case c.Rollout != nil:
		return runRollout(ctx, env, c.Rollout)
	case c.RolloutHalts != nil:
		return runRolloutHalts(ctx, env, c.RolloutHalts)
	case c.Drift != nil:
		return runDrift(ctx, env, c.Drift)
	case c.Container != nil:
		return runContainer(ctx, c.Container)
	}
	return errored("check %q has no kind (the loader should have refused it)", c.ID)
}
