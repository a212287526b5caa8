package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
)

// Setup says what happens to a grading's namespace before the submission.
type Setup int

const (
	// Fresh creates the namespace, or empties it when it exists, and
	// applies the lab's setup: the grade is what a new cluster would give.
	Fresh Setup = iota
	// AsIs grades the namespace as it stands (labgrade check); the
	// submission, if any, is still applied.
	AsIs
)

// Grading is one submission to grade in a session.
type Grading struct {
	// Namespace to grade in; "" is the lab's own (spec.namespace). The
	// lab's manifests and the submission's that name the lab's namespace
	// are moved into it; any other namespace is refused.
	Namespace string
	// Submission is the learner's directory; "" applies nothing.
	Submission string
	// Name names the submission in the result and on progress lines
	// ("" = none, for a lone grading).
	Name  string
	Setup Setup
	// Select narrows the checks (--only, --skip, --quick); a grading that
	// leaves any out is a partial grade.
	Select Selection
	// Copies runs each contained disruptive check (a rollout) on a copy
	// of the submission in a namespace of its own, beside the other
	// checks, instead of after them one at a time: the grade is the same,
	// sooner, for a few more pods. Only a Fresh grading with a submission
	// is copied (see copiesOf for the rest of the rule).
	Copies bool
}

// grading is one Grade or Prepare under way.
type grading struct {
	s     *Session
	g     Grading
	ns    string
	res   *result.Result
	start time.Time
	// declared are the submission's objects by Kind/name, with where each
	// is written.
	declared map[string]apply.Object
}

// Grade prepares the grading's namespace, applies the submission and runs
// the checks. It always returns a result: an environment failure (or
// Ctrl-C) is its EnvironmentError, which gives exit code 2.
func (s *Session) Grade(ctx context.Context, g Grading) *result.Result {
	return s.grade(ctx, g, true)
}

// Prepare is Grade without the checks (labgrade up).
func (s *Session) Prepare(ctx context.Context, g Grading) *result.Result {
	return s.grade(ctx, g, false)
}

func (s *Session) grade(ctx context.Context, g Grading, checks bool) *result.Result {
	gr := &grading{s: s, g: g, ns: cmp.Or(g.Namespace, s.opts.Lab.Spec.Namespace), start: time.Now()}
	gr.res = s.newResult(g)
	gr.res.Namespace = gr.ns
	if err := gr.run(ctx, checks); err != nil {
		s.fail(ctx, gr.res, err)
	}
	s.mu.Lock()
	gr.res.Environment = s.env
	s.mu.Unlock()
	gr.res.DurationSeconds = seconds(time.Since(gr.start))
	gr.res.Tally()
	return gr.res
}

// newResult is a result with the lab, the session's environment and the
// session's steps so far.
func (s *Session) newResult(g Grading) *result.Result {
	l := s.opts.Lab
	s.mu.Lock()
	defer s.mu.Unlock()
	return &result.Result{
		Lab: l.Name(), Title: l.Spec.Title, PassingScore: l.Spec.PassingScore,
		Submission: g.Name, Environment: s.env,
		Phases: append([]result.Phase(nil), s.phases...),
	}
}

func (gr *grading) progress(format string, a ...any) {
	if gr.g.Name != "" {
		format = "[" + gr.g.Name + "] " + format
	}
	gr.s.progress(format, a...)
}

func (gr *grading) phase(name string, fn func() error) error {
	return phase(name, fn, func(p result.Phase) { gr.res.Phases = append(gr.res.Phases, p) }, gr.progress)
}

func (gr *grading) run(ctx context.Context, checks bool) error {
	s := gr.s
	graded := s.opts.Lab
	if checks {
		var err error
		// before any cluster work: a bad selection is refused at once
		if graded, err = gr.selectChecks(); err != nil {
			return err
		}
	}
	if gr.g.Submission != "" {
		if st, err := os.Stat(gr.g.Submission); err != nil || !st.IsDir() {
			return fmt.Errorf("submission directory %s not found", gr.g.Submission)
		}
	}
	if s.clients == nil {
		return fmt.Errorf("the session has no cluster")
	}
	var copied copies
	if checks {
		copied = gr.startCopies(ctx, graded)
		defer copied.drop(s)
	}
	if err := gr.prepare(ctx); err != nil {
		return err
	}
	if !checks {
		return nil
	}
	return gr.phase("checks", func() error {
		gr.res.Checks = runChecks(ctx, s.clients, graded, gr.ns, gr.declared, copied, gr.progress)
		return ctx.Err()
	})
}

// prepare readies the grading's namespace (Fresh: emptied, sandboxed,
// the lab's setup applied) and applies the submission.
func (gr *grading) prepare(ctx context.Context) error {
	s := gr.s
	if gr.g.Setup == Fresh {
		if err := s.ensureImages(ctx); err != nil {
			return err
		}
		if err := gr.phase("namespace", func() error {
			if err := gr.resetNamespace(ctx); err != nil {
				return err
			}
			return gr.sandbox(ctx)
		}); err != nil {
			return err
		}
		if err := gr.phase("setup", func() error { return gr.applySetup(ctx) }); err != nil {
			return err
		}
	}
	if gr.g.Submission != "" {
		if err := gr.phase("submission", func() error { return gr.applySubmission(ctx) }); err != nil {
			return err
		}
	}
	return nil
}

// selectChecks applies the grading's selection: it returns the lab with
// only the checks to grade, records what is left out in the result, and
// says so.
func (gr *grading) selectChecks() (*lab.Lab, error) {
	l, sel := gr.s.opts.Lab, gr.g.Select
	if sel.IsZero() {
		return l, nil
	}
	p, err := sel.Plan(l)
	if err != nil {
		return nil, err
	}
	for _, n := range p.Notes {
		gr.progress("checks: %s", n)
	}
	if len(p.LeftOut) == 0 {
		return l, nil
	}
	gr.res.Skipped, gr.res.SkippedPoints, gr.res.Selection = p.LeftOut, p.LeftOutPoints, sel.String()
	gr.progress("checks: left out (run without %s for the full grade): %s", gr.res.Selection, strings.Join(p.LeftOut, ", "))
	graded := *l
	graded.Spec.Checks = p.Run
	return &graded, nil
}

func (gr *grading) resetNamespace(ctx context.Context) error {
	c := gr.s.clients
	if gr.s.firstUse(gr.ns) {
		return c.EnsureNamespace(ctx, gr.ns) // a new cluster has nothing in it
	}
	gr.progress("namespace: resetting %s", gr.ns)
	if err := releaseAllowed(ctx, c, gr.s.opts.Lab.Spec.Submission.Allow, gr.ns); err != nil {
		return err
	}
	return c.ResetNamespace(ctx, gr.ns, 2*time.Minute)
}

func (gr *grading) applySetup(ctx context.Context) error {
	s, l := gr.s, gr.s.opts.Lab
	for _, st := range l.Spec.Setup {
		objs, err := apply.Read(filepath.Join(l.Dir, st.Apply))
		if err != nil {
			return fmt.Errorf("lab %s: setup %s: %w", l.Name(), st.Apply, err)
		}
		if _, refused := apply.Retarget(objs, l.Spec.Namespace, gr.ns); len(refused) > 0 {
			return fmt.Errorf("lab %s: setup %s:\n%w", l.Name(), st.Apply, apply.RefusalsError(refused))
		}
		err = s.retry(ctx, "applying setup "+st.Apply, 3, transient,
			fmt.Sprintf("the cluster may be unhealthy: remove it with 'labgrade down %s' and run again", l.Name()), func() error {
				return s.provider.Apply(ctx, s.clients, objs, gr.ns)
			})
		if err != nil {
			return fmt.Errorf("lab %s: setup %s could not be applied:\n%w", l.Name(), st.Apply, err)
		}
		gr.progress("setup: applied %d objects from %s", len(objs), st.Apply)
	}
	return nil
}

// applySubmission applies the learner's manifests. What the API server
// refuses (Problems), and objects in a namespace other than the lab's
// (Refused, never applied), are the learner's problem, reported and graded,
// not an environment error.
func (gr *grading) applySubmission(ctx context.Context) error {
	s, l := gr.s, gr.s.opts.Lab
	// A broken variant's expect.yaml describes the variant; it is never
	// part of what is applied.
	objs, err := apply.ReadLimited(ctx, gr.g.Submission, l.Spec.Submission.Limits, lab.ExpectFileName)
	// A file that could not be read safely is refused: the learner sees
	// it first and the run does not pass.
	var re *apply.ReadError
	if errors.As(err, &re) {
		gr.res.Refused = append(gr.res.Refused, re.Refused...)
	} else if err != nil {
		gr.res.Problems = append(gr.res.Problems, strings.Split(err.Error(), "\n")...)
	}
	// What labgrade refuses is never applied; the learner sees it first
	// and the run does not pass.
	objs, refused := apply.Retarget(objs, l.Spec.Namespace, gr.ns)
	gr.res.Refused = append(gr.res.Refused, refused...)
	// In a fresh namespace the submission is applied as the learner's
	// service account (see sandbox), after everything outside the
	// namespace is refused. Graded as it stands (labgrade check on the
	// learner's own cluster), it is applied as the grader, as the learner
	// could with kubectl.
	as := s.clients
	byGrader := ""
	if gr.g.Setup == Fresh {
		var allowed map[int][]apply.Object
		objs, allowed = gr.allowedOf(objs)
		n, err := gr.applyAllowed(ctx, allowed)
		if err != nil {
			return err
		}
		if n > 0 {
			byGrader = fmt.Sprintf(" (and %d of kinds the lab allows, applied by labgrade)", n)
		}
		objs, refused = apply.NamespacedOnly(s.clients, objs, gr.ns)
		gr.res.Refused = append(gr.res.Refused, refused...)
		objs, refused = apply.PlacedBySchedulerOnly(objs)
		gr.res.Refused = append(gr.res.Refused, refused...)
		if as, err = gr.learnerClients(); err != nil {
			return err
		}
	}
	gr.declared = map[string]apply.Object{}
	for _, o := range objs {
		gr.declared[o.Ref()] = o
	}
	if err := s.provider.Apply(ctx, as, objs, gr.ns); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// What the API server (admission, RBAC, Pod Security, the quota)
		// refused is the learner's, shown first, and the run does not pass.
		var ae *apply.Error
		if errors.As(err, &ae) {
			gr.res.Refused = append(gr.res.Refused, ae.Refused...)
		} else {
			gr.res.Problems = append(gr.res.Problems, strings.Split(err.Error(), "\n")...)
		}
	}
	gr.progress("submission: applied %d objects%s from %s", len(objs), byGrader, gr.g.Submission)
	return nil
}
