package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/checks"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/diagnose"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// runChecks runs every check concurrently; a check with dependsOn waits for
// those checks and does not run unless they all passed. Disruptive checks
// (rollouts change the Deployment) wait until every other check is done and
// then run one at a time, in lab order, so no check sees a cluster in the
// middle of a grader-made change.
//
// A check that does not pass is pointed at the object it is about (where
// the submission declares it, from declared) and diagnosed.
func runChecks(ctx context.Context, c *cluster.Clients, l *lab.Lab, declared map[string]apply.Object, progress func(string, ...any)) []result.Check {
	env := checks.Env{Clients: c, Namespace: l.Spec.Namespace, LabDir: l.Dir}
	n := len(l.Spec.Checks)
	out := make([]result.Check, n)
	done := map[string]chan struct{}{}
	for _, ch := range l.Spec.Checks {
		done[ch.ID] = make(chan struct{})
	}
	index := map[string]int{}
	for i, ch := range l.Spec.Checks {
		index[ch.ID] = i
	}
	var calm sync.WaitGroup // the non-disruptive checks
	for _, ch := range l.Spec.Checks {
		if !ch.IsDisruptive() {
			calm.Add(1)
		}
	}
	calmDone := make(chan struct{})
	go func() { calm.Wait(); close(calmDone) }()
	var turn []chan struct{} // disruptive check k waits for turn[k]
	prevDisruptive := calmDone
	for _, ch := range l.Spec.Checks {
		if ch.IsDisruptive() {
			turn = append(turn, prevDisruptive)
			prevDisruptive = done[ch.ID]
		}
	}
	var wg sync.WaitGroup
	k := 0
	for i := range l.Spec.Checks {
		wg.Add(1)
		var myTurn chan struct{}
		if l.Spec.Checks[i].IsDisruptive() {
			myTurn = turn[k]
			k++
		}
		go func(i int, myTurn chan struct{}) {
			defer wg.Done()
			ch := &l.Spec.Checks[i]
			defer close(done[ch.ID])
			if myTurn != nil {
				<-myTurn
			} else {
				defer calm.Done()
			}
			rc := result.Check{ID: ch.ID, Title: ch.Title, MaxPoints: ch.Points, Severity: string(ch.Severity),
				Hidden: ch.Visibility == "hidden"}
			for _, dep := range ch.DependsOn {
				<-done[dep]
				if d := out[index[dep]]; d.Outcome != result.Pass {
					rc.Outcome = result.Fail
					if d.Outcome == result.Error {
						rc.Outcome = result.Error
					}
					rc.Message = fmt.Sprintf("not run: it depends on %q, which did not pass", dep)
				}
			}
			if rc.Outcome == "" {
				t := time.Now()
				o := checks.Run(ctx, env, ch, l.CEL[ch.ID])
				rc.Outcome, rc.Message = o.Outcome, o.Message
				rc.DurationSeconds = seconds(time.Since(t))
			}
			if rc.Outcome != result.Pass {
				rc.Hints = ch.Hints
				explain(ctx, c, l.Spec.Namespace, ch, &rc, declared)
			}
			out[i] = rc
			progress("check %s: %s (%.1fs)", ch.ID, rc.Outcome, rc.DurationSeconds)
		}(i, myTurn)
	}
	wg.Wait()
	return out
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
