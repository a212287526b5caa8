package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade"
	"github.com/labgrade/labgrade/grader/catalog"
)

func newListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := catalog.Open(g.labsDir, labgrade.Content)
			if err != nil {
				return err
			}
			names, err := c.Names()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LAB\tLEVEL\tMINUTES\tCHECKS\tTITLE")
			for _, n := range names {
				l, err := c.Load(n)
				if err != nil {
					fmt.Fprintf(w, "%s\t-\t-\t-\t(invalid: run labgrade describe %s)\n", n, n)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", n, l.Spec.Level, l.Spec.Minutes, len(l.Spec.Checks), l.Spec.Title)
			}
			fmt.Fprintf(w, "\n(%s labs in %s)\n", c.Source, c.Dir)
			return w.Flush()
		},
	}
}
