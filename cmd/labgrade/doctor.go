package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/doctor"
	"github.com/labgrade/labgrade/grader/result"
)

func newDoctorCmd() *cobra.Command {
	var nodeImage, output string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host can run labgrade's kind clusters, and say how to fix what cannot",
		Long: `Check the Docker engine, privileged containers, the node image, free memory
and disk, cgroups, inotify limits, kind clusters left running, and where the
ports that containers publish answer (container checks need them). Each line is
ok, warn or fail, with the fix under it.

Exit status: 0 nothing failed, 2 something failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := doctor.Examine(cmd.Context(), doctor.Real(nodeImage))
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(fs); err != nil {
					return err
				}
			} else {
				doctor.Write(cmd.OutOrStdout(), fs)
			}
			if doctor.Failed(fs) {
				return exitError{result.ExitError}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&nodeImage, "node-image", "", "kind node image to check (default: as labgrade run picks it)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
