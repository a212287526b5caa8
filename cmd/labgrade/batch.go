package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/batch"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

func newBatchCmd(g *globalFlags) *cobra.Command {
	var (
		out, from, kubeconfig, kubeContext, nodeImage string
		registry                                      registryFlags
		parallel                                      int
		deadline                                      time.Duration
		force, keep, quick                            bool
		only, skip                                    []string
	)
	cmd := &cobra.Command{
		Use:   "batch LAB SUBMISSION_DIR... --out DIR",
		Short: "Grade a class: many submissions on one cluster, several at once, resumable",
		Long: `Grade every submission in one grading session: one cluster (the kind cluster
labgrade-LAB, reused if it runs; or --kubeconfig/--context), the lab's images
built and loaded once, each submission in a sandboxed namespace of its own,
--parallel at once. A submission's id is its directory's name, or ID in ID=DIR.

Per submission, DIR/<id>/ holds result.json and diagnostics.txt (staff: hidden
checks in full), junit.xml, scorecard.txt and results.json (Gradescope; none
when the submission was not graded), and digest.json. The class: summary.csv,
summary.json, summary.md and index.html (one page, no network needed).

A rerun skips every submission already graded from the same lab and the same
files (--force grades all again). An environment error is retried once in a
fresh namespace; a grading past --deadline is stopped and recorded as timeout.
Ctrl-C starts nothing new, stops what runs, deletes its namespaces and writes
the summary of what was done: run the same command again for the rest.

Exit status: 0 every submission graded (whether or not it passed), 2 some
submission not graded (error, timeout, interrupted) or a usage or lab error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if out == "" {
				return fmt.Errorf("--out DIR is required: where the reports go")
			}
			l, err := loadLab(g, args[0], stderr)
			if err != nil {
				return err
			}
			sel := runner.Selection{Only: only, Skip: skip, Quick: quick}
			if !sel.IsZero() {
				if _, err := sel.Plan(l); err != nil {
					return err
				}
			}
			subs, err := batch.Collect(args[1:], from)
			if err != nil {
				return err
			}
			o := runner.Options{Lab: l, Cluster: runner.ReuseCluster, NodeImage: nodeImage, KeepCluster: keep, Version: labgradeVersion()}
			if kubeconfig != "" || kubeContext != "" {
				o.Cluster, o.Kubeconfig, o.Context = runner.ExistingCluster, kubeconfig, kubeContext
			}
			if err := registry.set(&o); err != nil {
				return err
			}
			if parallel <= 0 {
				c := batch.DefaultParallel()
				parallel = c.Parallel
				fmt.Fprintln(stderr, "batch: parallel", c)
				if o.Cluster == runner.ExistingCluster {
					// this host's CPUs say nothing of another cluster's nodes
					fmt.Fprintln(stderr, "batch: grading in a cluster that may not be this host: size --parallel to its nodes (docs/batch.md)")
				}
			}
			var session *runner.Session
			defer func() {
				if session != nil {
					_ = session.Close()
				}
			}()
			live := false
			if f, ok := stderr.(*os.File); ok {
				live = isatty.IsTerminal(f.Fd()) && os.Getenv("CI") == ""
			}
			sum, err := batch.Run(cmd.Context(), batch.Options{
				Lab: l, Submissions: subs, Out: out, Parallel: parallel, Deadline: deadline, Force: force, Select: sel,
				Progress: stderr, Live: live,
				Open: func(ctx context.Context, progress io.Writer) (batch.Grader, error) {
					o.Progress = progress
					s, err := runner.Open(ctx, o)
					session = s
					if err != nil {
						return nil, err
					}
					return s, nil
				},
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s/index.html\n", out)
			if cmd.Context().Err() != nil || !sum.AllGraded() {
				return exitError{result.ExitError}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory for the reports: DIR/<id>/ per submission, the class summary at its top (required)")
	f.StringVar(&from, "from", "", "file listing submissions, one DIR or ID=DIR a line (relative to the file; '#' comments)")
	f.IntVar(&parallel, "parallel", 0, "submissions graded at once (default: from the host's CPUs and memory, printed)")
	f.DurationVar(&deadline, "deadline", 10*time.Minute, "longest one grading may take before it is stopped and recorded as timeout (0 = none)")
	f.BoolVar(&force, "force", false, "grade again submissions already graded from the same lab and files")
	f.StringVar(&kubeconfig, "kubeconfig", "", "grade in the cluster of this kubeconfig instead of a kind cluster")
	f.StringVar(&kubeContext, "context", "", "kubeconfig context to use (with --kubeconfig, or from $KUBECONFIG)")
	f.StringVar(&nodeImage, "node-image", "", "kind node image (default: $LABGRADE_NODE_IMAGE, else kind's default)")
	registry.register(f)
	f.BoolVar(&keep, "keep", false, "keep the kind cluster afterwards (for the next batch, lab test or check)")
	f.StringSliceVar(&only, "only", nil, "grade only these checks (ID,...) and the checks they depend on: partial grades, no Gradescope results")
	f.StringSliceVar(&skip, "skip", nil, "leave out these checks (ID,...) and the checks that depend on them: partial grades")
	f.BoolVar(&quick, "quick", false, "grade only the quick checks (no traffic phases, rollouts or containers): partial grades")
	return cmd
}
