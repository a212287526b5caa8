package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
)

// copyNS is a copy of a grading's submission, in a namespace of its own,
// on which one contained disruptive check (a rollout) runs while the
// other checks run in the grading's namespace. Graded one after another
// in one namespace, k8s-serving's two rollouts and the drift phases add
// up to most of a run; side by side, the longest of them is what counts.
type copyNS struct {
	ns string
	// ready is closed once the copy is prepared (err says how that went);
	// cancel stops the preparation.
	ready  chan struct{}
	err    error
	cancel context.CancelFunc
}

// copies are a grading's copies by the index of the check they serve.
type copies map[int]*copyNS

// maxNamespaceLen is the longest name a namespace may have (a DNS label).
const maxNamespaceLen = 63

// copiesOf says which checks of graded run on copies of the submission,
// and the namespace of each copy; why is set when the grading asked for
// copies and gets none. Copies need what a copy can have of its own: a
// fresh namespace with the lab's setup and the submission (a namespace
// graded as it stands cannot be copied), and a lab whose submissions
// hold nothing outside the namespace (objects under submission.allow are
// the grading's, once) and that is not exclusive (its checks share the
// cluster's scarce resources).
func copiesOf(g Grading, ns string, graded *lab.Lab) (byCheck map[int]string, why string) {
	if !g.Copies {
		return nil, ""
	}
	var contained []int
	for i := range graded.Spec.Checks {
		if graded.Spec.Checks[i].IsContained() {
			contained = append(contained, i)
		}
	}
	switch {
	case len(contained) == 0:
		return nil, ""
	case g.Setup != Fresh || g.Submission == "":
		return nil, "the namespace is graded as it stands"
	case graded.Spec.Cluster.Exclusive:
		return nil, "the lab is exclusive"
	case len(graded.Spec.Submission.Allow) > 0:
		return nil, "the lab's submissions may hold objects outside the namespace (submission.allow)"
	}
	byCheck = map[int]string{}
	for n, i := range contained {
		name := fmt.Sprintf("%s-copy%d", ns, n+1)
		if len(name) > maxNamespaceLen {
			return nil, fmt.Sprintf("namespace %s is too long to name copies after it", ns)
		}
		byCheck[i] = name
	}
	return byCheck, ""
}

// startCopies starts preparing the grading's copies, each in its own
// goroutine, as a Fresh grading of the same submission in its namespace.
func (gr *grading) startCopies(ctx context.Context, graded *lab.Lab) copies {
	byCheck, why := copiesOf(gr.g, gr.ns, graded)
	if why != "" {
		gr.progress("checks: the rollouts run one after another in %s, not on copies: %s", gr.ns, why)
	}
	out := copies{}
	for i, ns := range byCheck {
		cctx, cancel := context.WithCancel(ctx)
		id := graded.Spec.Checks[i].ID
		cp := &copyNS{ns: ns, ready: make(chan struct{}), cancel: cancel}
		name := id + " copy"
		if gr.g.Name != "" {
			name = gr.g.Name + " " + name
		}
		copyGr := &grading{s: gr.s, ns: ns, res: &result.Result{}, start: time.Now(),
			g: Grading{Namespace: ns, Submission: gr.g.Submission, Name: name, Setup: Fresh}}
		go func() {
			defer close(cp.ready)
			cp.err = copyGr.prepare(cctx)
		}()
		out[i] = cp
	}
	return out
}

// await waits until the copy is prepared; it returns why it cannot be
// graded on.
func (cp *copyNS) await(ctx context.Context) error {
	select {
	case <-cp.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if cp.err != nil {
		return fmt.Errorf("its copy of the submission in namespace %s could not be prepared: %w", cp.ns, cp.err)
	}
	return nil
}

// drop stops what is still preparing and deletes every copy's namespace.
func (cs copies) drop(s *Session) {
	for _, cp := range cs {
		cp.cancel()
		<-cp.ready
		s.DropNamespace(cp.ns)
	}
}
