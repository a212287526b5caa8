// Package labtest proves a lab before learners meet it: on one kind
// cluster reused across the runs (the lab namespace and scenario reset each
// time), the solution must score 100 % and every broken variant must fail
// exactly the checks its expect.yaml names, with no check ending in error.
package labtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

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
	// Progress receives the runs' progress lines.
	Progress io.Writer
	// Version is labgrade's version, recorded in the results.
	Version string
}

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
}

// Report is the outcome of a lab test.
type Report struct {
	Lab     string  `json:"lab"`
	Cases   []Case  `json:"cases"`
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"`
}

// SolutionCase is the name of the solution's case.
const SolutionCase = "solution"

// Run grades the solution and every variant. The error is for what stops
// the test itself (variants that cannot be read, a temporary directory);
// grading problems are mismatches in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	l := o.Lab
	variants, err := lab.Variants(l)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep := &Report{Lab: l.Name(), OK: true}
	name := cluster.ClusterName(l.Name())
	kind := cluster.NewKind()
	existed, _ := kind.Exists(name)
	defer func() {
		if !o.Keep && !existed {
			_ = kind.Delete(name, cluster.KubeconfigPath(name))
		}
	}()

	cases := []Case{{Name: SolutionCase, Verdict: result.Passed}}
	for _, v := range variants {
		cases = append(cases, Case{Name: "broken/" + v.Name, Want: slices.Sorted(slices.Values(v.Failing)), Verdict: v.Verdict})
	}
	for i := range cases {
		c := &cases[i]
		dir, err := os.MkdirTemp("", "labgrade-labtest-")
		if err != nil {
			return nil, err
		}
		v := lab.Variant{} // the zero variant is the solution
		if i > 0 {
			v = variants[i-1]
		}
		if err := v.Materialize(l, dir); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		progress(o.Progress, "== %s", c.Name)
		t0 := time.Now()
		c.Result = runner.Run(ctx, runner.Options{
			Lab: l, Submission: dir, NodeImage: o.NodeImage, ApplyScenario: true,
			// the first run creates the cluster when there is none; every
			// run after it resets the namespace of the same cluster
			Reuse: i > 0 || existed, Keep: true,
			Progress: o.Progress, Version: o.Version,
		})
		c.Seconds = time.Since(t0).Seconds()
		_ = os.RemoveAll(dir)
		c.Mismatches = judge(c)
		if len(c.Mismatches) > 0 {
			rep.OK = false
		}
		progress(o.Progress, "== %s: %s in %.1fs", c.Name, verdictLine(c), c.Seconds)
		rep.Cases = append(rep.Cases, *c)
		if ctx.Err() != nil {
			break
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
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

func verdictLine(c *Case) string {
	if len(c.Mismatches) == 0 {
		return "as declared"
	}
	return "MISMATCH: " + strings.Join(c.Mismatches, "; ")
}

func progress(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}
