package main

import (
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

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
	ci         bool
	artifacts  string
	gradescope string
}

func (f *gradeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.submission, "submission", "", "directory of the learner's manifests (default: the lab's submission.path, e.g. ./submission)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "standard output format: text or json")
	cmd.Flags().StringVar(&f.junit, "junit", "", "also write JUnit XML to this file")
	cmd.Flags().StringVar(&f.jsonFile, "json", "", "also write the JSON report to this file")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "grade in the cluster of this kubeconfig instead of a kind cluster")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context to use (with --kubeconfig, or from $KUBECONFIG)")
	cmd.Flags().StringVar(&f.nodeImage, "node-image", "", "kind node image (default: $LABGRADE_NODE_IMAGE, else kind's default)")
	cmd.Flags().BoolVar(&f.ci, "ci", false, "grading in CI: no colour; hidden checks show only title and points (full detail goes to --artifacts)")
	cmd.Flags().StringVar(&f.artifacts, "artifacts", "", "write the full, unredacted reports and diagnostics here (for staff)")
	cmd.Flags().StringVar(&f.gradescope, "gradescope", "", "also write Gradescope's results.json to this file")
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
		fmt.Fprintln(cmd.ErrOrStderr(), "labgrade: could not grade:", res.EnvironmentError)
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
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
	var keep, reuse bool
	cmd := &cobra.Command{
		Use:   "run LAB",
		Short: "Create a kind cluster, set up the lab, apply the submission and grade it",
		Long: `Create a kind cluster labgrade-LAB, build and load the lab's images, apply the
scenario and then the submission, run the checks and print the scorecard.

Exit status: 0 passed, 1 graded and not passed, 2 usage, lab or environment
error (never counted as a learner failure).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			sub, err := submissionDir(f.submission, l.Spec.Submission.Path)
			if err != nil {
				return err
			}
			res := runner.Run(cmd.Context(), runner.Options{
				Lab: l, Submission: sub, NodeImage: f.nodeImage, Kubeconfig: f.kubeconfig, Context: f.context,
				Keep: keep, Reuse: reuse, ApplyScenario: true, Progress: cmd.ErrOrStderr(), Version: labgradeVersion(),
			})
			return f.report(cmd, res)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the kind cluster afterwards")
	cmd.Flags().BoolVar(&reuse, "reuse", false, "grade in the existing labgrade-LAB cluster (namespace reset) and keep it")
	return cmd
}

func newCheckCmd(g *globalFlags) *cobra.Command {
	var f gradeFlags
	var watch bool
	cmd := &cobra.Command{
		Use:   "check LAB",
		Short: "Grade the lab's cluster as it stands (after labgrade up and your kubectl apply)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			o := runner.Options{
				Lab: l, Submission: f.submission, Kubeconfig: f.kubeconfig, Context: f.context,
				Reuse: true, RequireExisting: true, Progress: cmd.ErrOrStderr(), Version: labgradeVersion(),
			}
			if !watch {
				return f.report(cmd, runner.Run(cmd.Context(), o))
			}
			if f.submission == "" {
				return fmt.Errorf("--watch needs --submission DIR: the directory to apply and watch")
			}
			o.Progress = nil // only what changed is printed
			return runner.Watch(cmd.Context(), o,
				func(r *result.Result) {
					_ = report.Emit(cmd.OutOrStdout(), r, report.Options{Format: "text"})
					fmt.Fprintf(cmd.OutOrStdout(), "\nwatching %s: save a file to grade again, Ctrl-C to stop\n", f.submission)
				},
				func(prev, cur *result.Result) { _ = report.Changes(cmd.OutOrStdout(), prev, cur, time.Now()) })
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&watch, "watch", false, "apply --submission and grade again whenever a file in it changes, printing only what changed, until Ctrl-C")
	return cmd
}
