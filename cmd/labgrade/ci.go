package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/ciinit"
)

func newCICmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ci", Short: "Set up grading in CI"}
	var o ciinit.Options
	var path string
	var force bool
	initCmd := &cobra.Command{
		Use:   "init LAB",
		Short: "Write a GitHub Actions workflow that grades the repository's submission with LAB",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Lab = args[0]
			if err := ciinit.Write(path, o, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: it grades %s with %s on every push\n", path, o.Submission, o.Lab)
			return nil
		},
	}
	initCmd.Flags().StringVar(&o.Submission, "submission", "submission", "directory of the repository that is graded")
	initCmd.Flags().StringVar(&o.LabsDir, "labs-dir", "", "directory of labs in the repository (default: labgrade's built-in labs)")
	initCmd.Flags().StringVar(&o.Version, "version", "latest", "labgrade version the workflow installs")
	initCmd.Flags().StringVar(&path, "out", ciinit.DefaultPath, "file to write")
	initCmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	cmd.AddCommand(initCmd)
	return cmd
}
