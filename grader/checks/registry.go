package checks

import (
	"cmp"
	"context"
	"fmt"

	"github.com/labgrade/labgrade/grader/spec"
)

// executor runs a check of one kind.
type executor func(ctx context.Context, env Env, k spec.Kind) (evidence string, err error)

// executors by kind name, filled by register from each kind's file.
var executors = map[string]executor{}

// register makes run the execution of kind K, a check kind of grader/spec.
// Each kind's file calls it once, from init. run returns its evidence (what
// it measured, shown on pass; may be empty) or an error: a *Failure when
// the learner's work is not as expected, any other error when the
// environment or the lab is wrong.
func register[K spec.Kind](run func(ctx context.Context, env Env, k K) (evidence string, err error)) {
	var zero K
	name := spec.KindName(zero)
	if name == "" {
		panic(fmt.Sprintf("checks: %T is not a check kind of grader/spec (run make generate?)", zero))
	}
	if _, dup := executors[name]; dup {
		panic("checks: two executors for kind " + name)
	}
	executors[name] = func(ctx context.Context, env Env, k spec.Kind) (string, error) { return run(ctx, env, k.(K)) }
}

// Run runs one check of a loaded lab, bounded by the check's timeout. It
// returns the check's evidence when it passed; else an error, a *Failure
// when the learner's work is at fault (Verdict tells them apart).
func Run(ctx context.Context, env Env, c *spec.Check) (evidence string, err error) {
	k := c.Kind()
	if k == nil {
		return "", fmt.Errorf("check %q has no kind (the loader should have refused it)", c.ID)
	}
	run, ok := executors[spec.KindName(k)]
	if !ok {
		return "", fmt.Errorf("check %q: this labgrade cannot run %s checks", c.ID, spec.KindName(k))
	}
	checkCtx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout.Duration, spec.DefaultTimeout))
	defer cancel()
	return run(context.WithValue(checkCtx, gradingCtxKey{}, ctx), env, k)
}
