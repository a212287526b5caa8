package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newDescribeCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "describe LAB",
		Short: "Show a lab: what it asks and how it is graded",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			s := l.Spec
			fmt.Fprintf(w, "%s: %s\n", l.Name(), s.Title)
			if s.Description != "" {
				fmt.Fprintf(w, "\n%s\n", s.Description)
			}
			fmt.Fprintf(w, "\nlevel %s, about %d minutes, namespace %s, lab directory %s\n", s.Level, s.Minutes, s.Namespace, l.Dir)
			fmt.Fprintf(w, "passing: %d%% of %d points, and every required check\n\nchecks:\n", s.PassingScore, l.MaxScore())
			for _, c := range s.Checks {
				req := ""
				if c.Severity == "required" {
					req = " (required)"
				}
				fmt.Fprintf(w, "  %3d  %s%s\n", c.Points, c.Title, req)
			}
			return nil
		},
	}
}
