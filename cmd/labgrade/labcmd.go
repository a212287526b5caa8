package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/lablint"
	"github.com/labgrade/labgrade/grader/labtest"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/scaffold"
)

func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Author labs: lint them and prove them on a cluster",
	}
	cmd.AddCommand(newLabNewCmd(), newLabLintCmd(), newLabTestCmd())
	return cmd
}

func newLabNewCmd() *cobra.Command {
	var o scaffold.Options
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new lab that lints clean: an example check of each kind, solution, broken variant",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if o.LoadgenDir == "" {
				o.LoadgenDir = scaffold.FindLoadgen(o.Dir, ".")
			}
			dir, err := scaffold.Write(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nnext: labgrade lab lint %s && labgrade lab test %s\n", dir, dir, dir)
			if o.LoadgenDir == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "(no labgrade checkout found: the rollout examples are left as comments)")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", "labs", "directory the lab is created in")
	cmd.Flags().StringVar(&o.LoadgenDir, "loadgen", "", "labgrade's fixtures/images/loadgen (default: found in a checkout above --dir or here)")
	return cmd
}

// loadLabDir loads the lab in a directory; problems are printed with
// file:line:col and give exit 2.
func loadLabDir(dir string, stderr io.Writer) (*lab.Lab, error) {
	l, err := lab.Load(dir)
	return labOrProblems(l, err, dir, stderr)
}

func newLabLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint DIR",
		Short: "Check a lab without a cluster: spec, files, images, hints, broken variants",
		Long: `Check everything about a lab that needs no cluster: lab.yaml strictly against
the spec, referenced files and image sources, unique check ids, dependsOn
without loops, a hint for every check, every image the scenario and solution
use declared in spec.cluster.images, and each broken variant's expect.yaml.

Exit status: 0 clean, 2 problems (each printed as file:line: message).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLabDir(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			problems := lablint.Lint(l)
			for _, p := range problems {
				fmt.Fprintln(cmd.ErrOrStderr(), p.String())
			}
			if len(problems) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "labgrade: %s has %d problem(s)\n", args[0], len(problems))
				return exitError{result.ExitError}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lab %s: %d checks, %d points; no problems\n", l.Name(), len(l.Spec.Checks), l.MaxScore())
			return nil
		},
	}
}

func newLabTestCmd() *cobra.Command {
	var nodeImage, output, kubeconfig, kubeContext string
	var keep, copies bool
	var parallel int
	var registry registryFlags
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Prove a lab: the solution scores 100 %, each broken variant fails exactly what it declares",
		Long: `Grade the lab's solution/ and every broken/<variant>/ (the solution with the
variant's files in place, minus those its expect.yaml removes) in one grading
session on one cluster (kind's labgrade-LAB, or the cluster of
--kubeconfig/--context, with --registry for one whose nodes labgrade cannot
load images into): the cases are graded at the same time (--parallel at
once), each in a namespace of its own (the lab's namespace suffixed with the
case's name), which is deleted when its case is done. The solution must score
100 %; each variant must fail exactly the checks its expect.yaml lists, with its
verdict; no check may end in error. Prints a table of case x check and the time
taken.

Exit status: 0 proven, 1 a mismatch, 2 the lab or the environment is broken.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLabDir(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if problems := lablint.Lint(l); len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p.String())
				}
				return exitError{result.ExitError}
			}
			images, err := registry.imageMap(kubeconfig != "" || kubeContext != "")
			if err != nil {
				return err
			}
			rep, err := labtest.Run(cmd.Context(), labtest.Options{
				Lab: l, NodeImage: nodeImage, Keep: keep, Parallel: parallel, Progress: cmd.ErrOrStderr(), Version: labgradeVersion(),
				Kubeconfig: kubeconfig, Context: kubeContext, Registry: images, Copies: copies,
			})
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				labtest.WriteTable(cmd.OutOrStdout(), rep)
			}
			if cmd.Context().Err() != nil || rep.EnvironmentError != "" {
				return exitError{result.ExitError}
			}
			if !rep.OK {
				return exitError{result.ExitNotPassed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&nodeImage, "node-image", "", "kind node image (default: $LABGRADE_NODE_IMAGE, else kind's default)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "standard output format: text (table) or json")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the cluster for the next lab test or labgrade check")
	cmd.Flags().BoolVar(&copies, "copies", false, "grade each case with its rollout checks on copies of the submission, as labgrade run does (half the default parallelism)")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "prove the lab in the cluster of this kubeconfig instead of labgrade-LAB (not created, not deleted)")
	cmd.Flags().StringVar(&kubeContext, "context", "", "kubeconfig context to use (with --kubeconfig, or from $KUBECONFIG)")
	registry.register(cmd.Flags())
	cmd.Flags().IntVar(&parallel, "parallel", 0, fmt.Sprintf("cases graded at once (default %d here: two per core, fewer if the cluster's free CPU holds fewer at 0.25 cores a case)", labtest.DefaultParallel()))
	return cmd
}
