package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// gradeFlags are shared by run and check.
type gradeFlags struct {
	submission string
	output     string
	junit      string
	jsonFile   string
	kubeconfig string
	context    string
	nodeImage  string
	registry   registryFlags
	ci         bool
	artifacts  string
	gradescope string
	only, skip []string
	quick      bool
}

func (f *gradeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.submission, "submission", "", "directory of the learner's manifests (default: the lab's submission.path, e.g. ./submission)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "standard output format: text or json")
	cmd.Flags().StringVar(&f.junit, "junit", "", "also write JUnit XML to this file")
	cmd.Flags().StringVar(&f.jsonFile, "json", "", "also write the JSON report to this file")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "grade in the cluster of this kubeconfig instead of a kind cluster")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context to use (with --kubeconfig, or from $KUBECONFIG)")
	cmd.Flags().StringVar(&f.nodeImage, "node-image", "", "kind node image (default: $LABGRADE_NODE_IMAGE, else kind's default)")
	f.registry.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.ci, "ci", false, "grading in CI: no colour; hidden checks show only title and points (full detail goes to --artifacts)")
	cmd.Flags().StringVar(&f.artifacts, "artifacts", "", "write the full, unredacted reports and diagnostics here (for staff)")
	cmd.Flags().StringVar(&f.gradescope, "gradescope", "", "also write Gradescope's results.json to this file")
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "grade only these checks (ID,...) and the checks they depend on: a partial grade")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave out these checks (ID,...) and the checks that depend on them: a partial grade")
	cmd.Flags().BoolVar(&f.quick, "quick", false, "grade only the quick checks (no traffic phases, rollouts or containers): a partial grade in about a second")
}

// selection is --only, --skip and --quick for lab l. What the lab refuses
// (an unknown id, nothing left to grade) is a usage error, before any
// cluster work; so is a partial grade for Gradescope, which would record
// it as the learner's grade.
func (f *gradeFlags) selection(l *lab.Lab) (runner.Selection, error) {
	sel := runner.Selection{Only: f.only, Skip: f.skip, Quick: f.quick}
	if sel.IsZero() {
		return sel, nil
	}
	p, err := sel.Plan(l)
	if err != nil {
		return sel, err
	}
	if len(p.LeftOut) > 0 && f.gradescope != "" {
		return sel, fmt.Errorf("--gradescope records a grade, and %s leaves %d checks out: grade every check for Gradescope", sel, len(p.LeftOut))
	}
	return sel, nil
}

// report prints the result and turns it into the exit code.
func (f *gradeFlags) report(cmd *cobra.Command, res *result.Result) error {
	out := cmd.OutOrStdout()
	color := false
	if file, ok := out.(*os.File); ok && f.output == "text" && !f.ci {
		color = isatty.IsTerminal(file.Fd()) && os.Getenv("NO_COLOR") == ""
	}
	o := report.Options{Format: f.output, Color: color, JUnitPath: f.junit, JSONPath: f.jsonFile,
		GradescopePath: f.gradescope, ArtifactsDir: f.artifacts,
		// set by GitHub Actions in every step
		StepSummaryPath: os.Getenv("GITHUB_STEP_SUMMARY"),
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		o.Annotations = cmd.ErrOrStderr()
	}
	if err := report.Emit(out, res, o); err != nil {
		return err
	}
	if res.EnvironmentError != "" {
		// it may quote what the API server said of the learner's objects
		fmt.Fprintln(cmd.ErrOrStderr(), "labgrade: could not grade:", report.SafeLines(res.EnvironmentError))
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// session is the session a grading command opens: the lab's kind cluster
// in the given mode, or the cluster of --kubeconfig/--context.
func (f *gradeFlags) session(cmd *cobra.Command, l *lab.Lab, mode runner.ClusterMode) (runner.Options, error) {
	o := runner.Options{Lab: l, Cluster: mode, NodeImage: f.nodeImage, Progress: cmd.ErrOrStderr(), Version: labgradeVersion()}
	if f.kubeconfig != "" || f.context != "" {
		o.Cluster, o.Kubeconfig, o.Context = runner.ExistingCluster, f.kubeconfig, f.context
	}
	return o, f.registry.set(&o)
}

// gradeOnce opens a session, grades one submission and closes it.
func gradeOnce(ctx context.Context, o runner.Options, g runner.Grading) *result.Result {
	s, err := runner.Open(ctx, o)
	var res *result.Result
	if err != nil {
		res = s.Failed(ctx, err)
	} else {
		res = s.Grade(ctx, g)
	}
	s.Finish(res, s.Close())
	return res
}

// submissionDir is --submission, else the lab's default if it exists here.
func submissionDir(flag, labDefault string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if labDefault != "" {
		if st, err := os.Stat(labDefault); err == nil && st.IsDir() {
			return labDefault, nil
		}
	}
	return "", fmt.Errorf("no submission: pass --submission DIR (the lab's default %q is not a directory here)", labDefault)
}

func newRunCmd(g *globalFlags) *cobra.Command {
	var f gradeFlags
	var keep, reuse, copies bool
	cmd := &cobra.Command{
		Use:   "run LAB",
		Short: "Create a kind cluster, set up the lab, apply the submission and grade it",
		Long: `Create a kind cluster labgrade-LAB, build and load the lab's images, apply the
scenario and then the submission, run the checks and print the scorecard.

Exit status: 0 passed, 1 graded and not passed, 2 usage, lab or environment
error (never counted as a learner failure), 3 partial: --only, --skip or
--quick left checks out and every check that ran allows a pass.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			sel, err := f.selection(l)
			if err != nil {
				return err
			}
			sub, err := submissionDir(f.submission, l.Spec.Submission.Path)
			if err != nil {
				return err
			}
			o, err := f.session(cmd, l, runner.NewCluster)
			if err != nil {
				return err
			}
			o.KeepCluster = keep
			if reuse {
				o.Cluster, o.KeepCluster = runner.ReuseCluster, true
			}
			return f.report(cmd, gradeOnce(cmd.Context(), o, runner.Grading{Submission: sub, Setup: runner.Fresh, Select: sel, Copies: copies}))
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&copies, "copies", true, "run each rollout check on a copy of the submission in a namespace of its own, beside the other checks (false: one after another, after them)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the kind cluster afterwards")
	cmd.Flags().BoolVar(&reuse, "reuse", false, "grade in the existing labgrade-LAB cluster (namespace reset) and keep it")
	return cmd
}

func newCheckCmd(g *globalFlags) *cobra.Command {
	var f gradeFlags
	var watch, full bool
	cmd := &cobra.Command{
		Use:   "check LAB",
		Short: "Grade the lab's cluster as it stands (after labgrade up and your kubectl apply)",
		Long: `Grade the lab's kind cluster as it stands, applying --submission first if
given. --quick grades only the checks that read the cluster (about a second);
--watch grades again at every save: the quick checks, and every check when
you press Enter (or at every save with --full).

Exit status: 0 passed, 1 graded and not passed, 2 usage, lab or environment
error (never counted as a learner failure), 3 partial: --only, --skip or
--quick left checks out and every check that ran allows a pass.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if full && !watch {
				return fmt.Errorf("--full goes with --watch (without --watch, check grades every check unless --quick)")
			}
			if full && f.quick {
				return fmt.Errorf("--full and --quick contradict each other: --full grades every check at each save")
			}
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			sel, err := f.selection(l)
			if err != nil {
				return err
			}
			o, err := f.session(cmd, l, runner.LabCluster)
			if err != nil {
				return err
			}
			gr := runner.Grading{Submission: f.submission, Setup: runner.AsIs, Select: sel}
			if !watch {
				return f.report(cmd, gradeOnce(cmd.Context(), o, gr))
			}
			if f.submission == "" {
				return fmt.Errorf("--watch needs --submission DIR: the directory to apply and watch")
			}
			o.Progress = nil // only what changed is printed
			s, err := runner.Open(cmd.Context(), o)
			defer func() { _ = s.Close() }()
			if err != nil {
				return f.report(cmd, s.Failed(cmd.Context(), err))
			}
			return watchCheck(cmd, s, gr, full || f.quick)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&watch, "watch", false, "apply --submission and grade again whenever a file in it changes (the quick checks; Enter grades every check), printing only what changed, until Ctrl-C")
	cmd.Flags().BoolVar(&full, "full", false, "with --watch: grade every check at each save, not only the quick ones")
	return cmd
}

// watchCheck is check --watch in one session: each save grades the quick
// checks (o.Select with --quick), unless fixed is set (--full or --quick:
// then o.Select as given); Enter, when stdin is a terminal, grades o.Select
// without --quick.
func watchCheck(cmd *cobra.Command, s *runner.Session, o runner.Grading, fixed bool) error {
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	dir := o.Submission
	full := o.Select
	full.Quick = false
	if !fixed {
		o.Select.Quick = true
	}
	p, err := o.Select.Plan(s.Lab())
	if err != nil && !fixed {
		// every check the selection keeps is slow: saves grade them all
		o.Select = full
		p, err = o.Select.Plan(s.Lab())
	}
	if err != nil {
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintln(stderr, "labgrade:", n)
	}
	var requests <-chan struct{}
	if in, ok := cmd.InOrStdin().(*os.File); ok && isatty.IsTerminal(in.Fd()) {
		requests = lines(in)
	}
	fp, err := full.Plan(s.Lab())
	if err != nil {
		return err
	}
	slowOut := len(p.LeftOut) > len(fp.LeftOut) // saves leave out checks Enter grades
	howto := "save a file to grade again"
	switch {
	case slowOut && requests != nil:
		howto = "save a file to grade the quick checks again, press Enter to grade the slow ones too"
	case slowOut:
		howto = "save a file to grade the quick checks again (with --full, every save grades every check)"
	case requests != nil:
		howto = "save a file or press Enter to grade again"
	}
	return runner.Watch(cmd.Context(), s, o, runner.WatchOptions{Requests: requests, Full: full},
		func(prev, cur *result.Result, requested bool) {
			if prev != nil && !requested {
				_ = report.Changes(stdout, prev, cur, time.Now())
				return
			}
			// the first grade and each asked for are read whole
			_ = report.Emit(stdout, cur, report.Options{Format: "text"})
			fmt.Fprintf(stdout, "\nwatching %s: %s, Ctrl-C to stop\n", dir, howto)
		})
}

// lines sends a value for each line read from in (each Enter on a
// terminal), dropping presses while one is still pending, until in ends.
func lines(in io.Reader) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return ch
}
