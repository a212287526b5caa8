// Package labtest proves a lab before learners meet it: in one grading
// session on one kind cluster, the solution must score 100 % and every
// broken variant must fail exactly the checks its expect.yaml names, with
// no check ending in error. The cases are graded at the same time, each in
// a namespace of its own, as a class's submissions would be.
package labtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/batch"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// Options of a lab test.
type Options struct {
	Lab *lab.Lab
	// NodeImage for the kind cluster ("" = labgrade's usual choice).
	NodeImage string
	// Keep leaves the cluster running at the end (it is reused next time).
	Keep bool
	// Kubeconfig and Context, when set, prove the lab in that cluster (a
	// kind cluster of another lab, or one that is not kind's, with
	// Registry) instead of labgrade-LAB; it is neither created nor deleted.
	Kubeconfig, Context string
	// Registry maps the lab's images to a registry the cluster pulls from.
	Registry *cluster.ImageMap
	// Parallel is how many cases are graded at once (0 = DefaultParallel,
	// or fewer if the cluster's free CPU holds fewer).
	Parallel int
	// Copies grades every case with its rollout checks on copies of the
	// submission (runner.Grading.Copies), as labgrade run does: the cases
	// must get the verdicts they declare either way. A case then holds
	// about twice the pods, so the default parallelism is halved.
	Copies bool
	// Progress receives the runs' progress lines.
	Progress io.Writer
	// Version is labgrade's version, recorded in the results.
	Version string
}

// DefaultParallel is how many cases a lab test grades at once: two per
// core. A case spends most of its time waiting on the cluster (rollouts,
// traffic phases of set length), not computing; what bounds it is the
// CPU its pods request from the node's scheduler. On a 2-core node of
// which Kubernetes requests 0.86 cores, four k8s-serving cases at once
// brought the node's requests to at most 1.42 cores (pods draining in
// preStop still hold theirs), with its serving pods asking 25m each. At
// 50m a pod they filled the node, and a load generator waited Pending
// past its start deadline (seen in CI as a case ending in error).
func DefaultParallel() int { return max(2, 2*runtime.NumCPU()) }

// Case is one graded submission: the solution or a broken variant.
type Case struct {
	Name string `json:"name"`
	// Want lists the checks the case must fail (none for the solution).
	Want    []string       `json:"wantFailing"`
	Verdict result.Verdict `json:"wantVerdict"`
	// Result is the run's full result.
	Result *result.Result `json:"result"`
	// Mismatches say how the run differs from what was declared.
	Mismatches []string `json:"mismatches,omitempty"`
	Seconds    float64  `json:"seconds"`
	// FirstAttempt says why the case was graded twice: its first grading
	// could not grade for a reason of the environment (the container
	// runtime refused a container, the cluster did not answer in time),
	// so it was graded once more in a fresh namespace, as batch grades a
	// class. Result is the second grading's.
	FirstAttempt string `json:"firstAttempt,omitempty"`
}

// Report is the outcome of a lab test.
type Report struct {
	Lab     string  `json:"lab"`
	Cases   []Case  `json:"cases"`
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"`
	// Parallel is how many cases were graded at once.
	Parallel int `json:"parallel"`
	// EnvironmentError is set when the cluster could not be had at all:
	// nothing was graded, and that is not the lab's fault.
	EnvironmentError string `json:"environmentError,omitempty"`
}

// SolutionCase is the name of the solution's case.
const SolutionCase = "solution"

// Run grades the solution and every variant. The error is for what stops
// the test itself (variants that cannot be read, a temporary directory);
// grading problems are mismatches in the report, and a session that could
// not open makes every case's mismatch say why.
func Run(ctx context.Context, o Options) (*Report, error) {
	l := o.Lab
	variants, err := lab.Variants(l)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// gradings a case counts for in the default parallelism: with its
	// rollouts on copies, a case holds about twice the pods
	weight := 1
	if o.Copies {
		weight = 2
	}
	parallel := o.Parallel
	if parallel <= 0 {
		parallel = max(1, DefaultParallel()/weight)
	}
	if l.Spec.Cluster.Exclusive { // its gradings share what namespaces do not part
		parallel = 1
	}
	rep := &Report{Lab: l.Name(), OK: true, Parallel: parallel}

	cases := []Case{{Name: SolutionCase, Verdict: result.Passed}}
	for _, v := range variants {
		cases = append(cases, Case{Name: "broken/" + v.Name, Want: slices.Sorted(slices.Values(v.Failing)), Verdict: v.Verdict})
	}
	// Every variant is written out before the cluster is touched: one that
	// cannot be read stops the test at once.
	dirs := make([]string, len(cases))
	defer func() {
		for _, d := range dirs {
			if d != "" {
				_ = os.RemoveAll(d)
			}
		}
	}()
	for i := range cases {
		dir, err := os.MkdirTemp("", "labgrade-labtest-")
		if err != nil {
			return nil, err
		}
		dirs[i] = dir
		v := lab.Variant{} // the zero variant is the solution
		if i > 0 {
			v = variants[i-1]
		}
		if err := v.Materialize(l, dir); err != nil {
			return nil, fmt.Errorf("%s: %w", cases[i].Name, err)
		}
	}

	so := runner.Options{
		Lab: l, Cluster: runner.ReuseCluster, NodeImage: o.NodeImage, KeepCluster: o.Keep,
		Progress: o.Progress, Version: o.Version, Registry: o.Registry,
	}
	if o.Kubeconfig != "" || o.Context != "" {
		so.Cluster, so.Kubeconfig, so.Context = runner.ExistingCluster, o.Kubeconfig, o.Context
	}
	s, err := runner.Open(ctx, so)
	defer func() { _ = s.Close() }()
	if err != nil {
		failed := s.Failed(ctx, err)
		for i := range cases {
			cases[i].Result = failed
			cases[i].Mismatches = judge(&cases[i])
		}
		rep.Cases, rep.OK, rep.EnvironmentError = cases, false, failed.EnvironmentError
		rep.Seconds = time.Since(start).Seconds()
		return rep, nil
	}

	if o.Parallel <= 0 && parallel > 1 {
		// two per core presumes the cluster is this host's and idle: a
		// cluster with less room for pods takes fewer at once
		if free, err := s.Clients().FreeCPU(ctx); err == nil && max(1, batch.FitCPU(free)/weight) < parallel {
			parallel = max(1, batch.FitCPU(free)/weight)
			rep.Parallel = parallel
			progress(o.Progress, "== the cluster's nodes have %.2f cores free for pods: %d cases at a time", float64(free)/1000, parallel)
		}
	}

	namespaces := map[string]bool{}
	unique := func(name string) string {
		ns := CaseNamespace(l.Spec.Namespace, name)
		for n := 2; namespaces[ns]; n++ { // two names that read alike as DNS labels
			ns = CaseNamespace(l.Spec.Namespace, fmt.Sprintf("%s-%d", name, n))
		}
		namespaces[ns] = true
		return ns
	}
	caseNS, retryNS := make([]string, len(cases)), make([]string, len(cases))
	for i, c := range cases {
		caseNS[i] = unique(c.Name)
	}
	for i, c := range cases {
		retryNS[i] = unique(c.Name + "-again")
	}
	progress(o.Progress, "== grading %d cases, %d at a time, each in its own namespace", len(cases), parallel)
	// batch's scheduler: the cases are graded as a class's submissions are
	batch.Schedule(ctx, parallel, len(cases), func(i int) {
		c := &cases[i]
		t0 := time.Now()
		for _, ns := range []string{caseNS[i], retryNS[i]} {
			progress(o.Progress, "== %s: grading in namespace %s", c.Name, ns)
			c.Result = s.Grade(ctx, runner.Grading{Namespace: ns, Submission: dirs[i], Name: c.Name, Setup: runner.Fresh, Copies: o.Copies})
			// its pods would only slow the cases still running
			s.DropNamespace(ns)
			if c.FirstAttempt != "" || ctx.Err() != nil || !gradeAgain(c) {
				break
			}
			c.FirstAttempt = batch.EnvironmentError(c.Result)
			progress(o.Progress, "== %s: could not grade (%s): once more in a fresh namespace", c.Name, c.FirstAttempt)
		}
		c.Seconds = time.Since(t0).Seconds()
		c.Mismatches = judge(c)
		progress(o.Progress, "== %s: %s in %.1fs", c.Name, verdictLine(c), c.Seconds)
	})
	for _, c := range cases {
		if c.Result == nil { // not started: interrupted
			continue
		}
		if len(c.Mismatches) > 0 {
			rep.OK = false
		}
		rep.Cases = append(rep.Cases, c)
	}
	if len(rep.Cases) < len(cases) {
		rep.OK = false
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

var notDNS = regexp.MustCompile(`[^a-z0-9]+`)

// CaseNamespace is the namespace a case is graded in: the lab's, suffixed
// with the case's name as a DNS label (at most 63 characters).
func CaseNamespace(labNamespace, caseName string) string {
	suffix := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(caseName), "-"), "-")
	ns := labNamespace + "-" + suffix
	if len(ns) > 63 {
		ns = strings.TrimRight(ns[:63], "-")
	}
	return ns
}

// judge compares a run with what its case declares.
func judge(c *Case) []string {
	r := c.Result
	if r.EnvironmentError != "" {
		return []string{"the run did not grade: " + r.EnvironmentError}
	}
	var out []string
	got := r.Failing()
	sort.Strings(got)
	if c.Name == SolutionCase && r.Score != r.MaxScore {
		out = append(out, fmt.Sprintf("the solution scores %d of %d", r.Score, r.MaxScore))
	}
	if extra := minus(got, c.Want); len(extra) > 0 {
		out = append(out, "fails undeclared: "+strings.Join(extra, ", "))
	}
	if missing := minus(c.Want, got); len(missing) > 0 {
		out = append(out, "passes declared failing: "+strings.Join(missing, ", "))
	}
	for _, ch := range r.Checks {
		if ch.Outcome == result.Error {
			out = append(out, fmt.Sprintf("check %s ended in error: %s", ch.ID, ch.Message))
		}
	}
	if r.Verdict != c.Verdict {
		out = append(out, fmt.Sprintf("verdict %s, want %s", r.Verdict, c.Verdict))
	}
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// gradeAgain reports whether a case's grading is no grade for a reason of
// the environment where the case declares a grade: a check ended in error,
// or the grading could not run. A case that declares verdict error is
// judged on its first grading.
func gradeAgain(c *Case) bool {
	return c.Verdict != result.Errored && !batch.IsGrade(c.Result)
}

func verdictLine(c *Case) string {
	again := ""
	if c.FirstAttempt != "" {
		again = " (graded twice: the first grading could not grade: " + c.FirstAttempt + ")"
	}
	if len(c.Mismatches) == 0 {
		return "as declared" + again
	}
	return "MISMATCH: " + strings.Join(c.Mismatches, "; ") + again
}

func progress(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}
