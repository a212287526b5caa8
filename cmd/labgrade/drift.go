package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/drift"
)

func newDriftCmd() *cobra.Command {
	var reference, current, output string
	var o drift.Options
	cmd := &cobra.Command{
		Use:   "drift --reference R.csv --current C.csv",
		Short: "Test every feature of a current sample against a reference sample for drift",
		Long: `Compare two CSV files with the same header, feature by feature: numeric
columns with the two-sample Kolmogorov-Smirnov test, categorical ones with a
chi-square test of homogeneity, unless --test names one of ks, psi, chi2,
jensenshannon, wasserstein. Conventions: docs/drift.md.

Exit status: 0 when no feature drifted, 1 when one did, 2 on bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if reference == "" || current == "" {
				return fmt.Errorf("both --reference and --current are needed")
			}
			ref, err := drift.ReadCSV(reference)
			if err != nil {
				return err
			}
			cur, err := drift.ReadCSV(current)
			if err != nil {
				return err
			}
			rep, err := drift.Compare(ref, cur, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch output {
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			case "text":
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FEATURE\tTEST\tSTATISTIC\tP-VALUE\tTHRESHOLD\tDRIFT")
				for _, f := range rep.Features {
					p := "-"
					if f.PValue != nil {
						p = fmt.Sprintf("%.6g", *f.PValue)
					}
					fmt.Fprintf(tw, "%s\t%s\t%.6g\t%s\t%g\t%v\n", f.Name, f.Test, f.Statistic, p, f.Threshold, f.Drift)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			default:
				return fmt.Errorf("unknown output format %q (text or json)", output)
			}
			for _, f := range rep.Features {
				if f.Drift {
					return exitError{1}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&reference, "reference", "", "CSV file of reference samples (header row of feature names)")
	cmd.Flags().StringVar(&current, "current", "", "CSV file of current samples, same features")
	cmd.Flags().StringVar(&o.Test, "test", "", "test for every feature: ks, psi, chi2, jensenshannon or wasserstein (default: ks for numbers, chi2 for categories)")
	cmd.Flags().IntVar(&o.Bins, "bins", drift.DefaultBins, "bins for psi and jensenshannon")
	cmd.Flags().Float64Var(&o.Threshold, "threshold", 0, "drift threshold (default per test: p < 0.05 for ks/chi2, psi > 0.2, jensenshannon > 0.1, wasserstein > 0.1 reference standard deviations)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
