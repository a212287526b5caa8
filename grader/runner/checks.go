package runner

import (
	"context"
	"time"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/checks"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/diagnose"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// runChecks runs the lab's checks in the order schedule gives them: all at
// once but for dependsOn, and the disruptive ones (rollouts change the
// Deployment) last, one at a time, in lab order, so no check sees a cluster
// in the middle of a grader-made change. A disruptive check with a copy
// of the submission (copies) changes only its copy: it runs with the
// others, in the copy's namespace.
//
// A check that does not pass is pointed at the object it is about (where
// the submission declares it, from declared) and diagnosed.
func runChecks(ctx context.Context, c *cluster.Clients, l *lab.Lab, ns string, declared map[string]apply.Object, copies copies, progress func(string, ...any)) []result.Check {
	jobs := make([]job, len(l.Spec.Checks))
	for i := range l.Spec.Checks {
		ch := &l.Spec.Checks[i]
		jobs[i] = job{ID: ch.ID, DependsOn: ch.DependsOn, Disruptive: ch.IsDisruptive() && copies[i] == nil}
	}
	// No limit: the checks mostly wait on watches and requests, and a lab
	// has a handful of them.
	return schedule(ctx, jobs, 0, func(ctx context.Context, i int, skip *notRun) result.Check {
		ch := &l.Spec.Checks[i]
		rc := result.Check{ID: ch.ID, Title: ch.Title, MaxPoints: ch.Points, Severity: string(ch.Severity),
			Hidden: ch.Visibility == "hidden"}
		in := ns
		cp := copies[i]
		switch {
		case skip != nil:
			rc.Outcome, rc.Message = skip.Outcome, skip.Message
		case cp != nil:
			if err := cp.await(ctx); err != nil {
				rc.Outcome, rc.Message = result.Error, err.Error()
				break
			}
			in = cp.ns
			rc.Outcome, rc.Message, rc.DurationSeconds = runCheck(ctx, c, l, in, ch)
			rc.Message += " (on a copy of the submission in namespace " + in + ")"
		default:
			rc.Outcome, rc.Message, rc.DurationSeconds = runCheck(ctx, c, l, in, ch)
		}
		if rc.Outcome != result.Pass {
			rc.Hints = ch.Hints
			explain(ctx, c, in, ch, &rc, declared)
		}
		progress("check %s: %s (%.1fs)", ch.ID, rc.Outcome, rc.DurationSeconds)
		return rc
	})
}

// runCheck runs one check in namespace ns and says how it went.
func runCheck(ctx context.Context, c *cluster.Clients, l *lab.Lab, ns string, ch *spec.Check) (result.Outcome, string, float64) {
	env := checks.Env{Clients: c, Namespace: ns, LabNamespace: l.Spec.Namespace, LabDir: l.Dir}
	t := time.Now()
	outcome, message := checks.Verdict(checks.Run(ctx, env, ch))
	return outcome, message, seconds(time.Since(t))
}

// explain points a check that did not pass at its subject: where the
// submission declares it, and what the cluster says about it.
func explain(ctx context.Context, c *cluster.Clients, ns string, ch *spec.Check, rc *result.Check, declared map[string]apply.Object) {
	apiVersion, kind, name := ch.Subject()
	if kind == "" || ctx.Err() != nil {
		return
	}
	rc.Subject = kind + "/" + name
	if o, ok := declared[rc.Subject]; ok {
		rc.File, rc.Line = o.File, o.Line
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc.Diagnostics = diagnose.Collect(dctx, c, ns, apiVersion, kind, name)
}
