package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/runner"
)

func newUpCmd(g *globalFlags) *cobra.Command {
	var nodeImage string
	cmd := &cobra.Command{
		Use:   "up LAB",
		Short: "Create the lab's kind cluster with its scenario, for working on the lab",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadLab(g, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			s, err := runner.Open(cmd.Context(), runner.Options{
				Lab: l, Cluster: runner.ReuseCluster, KeepCluster: true, NodeImage: nodeImage,
				Progress: cmd.ErrOrStderr(), Version: labgradeVersion(),
			})
			defer func() { _ = s.Close() }()
			if err != nil {
				return err
			}
			res := s.Prepare(cmd.Context(), runner.Grading{Setup: runner.Fresh})
			if res.EnvironmentError != "" {
				return fmt.Errorf("%s", res.EnvironmentError)
			}
			name := cluster.ClusterName(l.Name())
			fmt.Fprintf(cmd.OutOrStdout(), "Lab %s is up in kind cluster %s, namespace %s. Use it with:\n\n  export KUBECONFIG=%s\n  kubectl config use-context %s\n  kubectl -n %s get all\n\nGrade your work with: labgrade check %s --submission DIR\n",
				l.Name(), name, l.Spec.Namespace, cluster.KubeconfigPath(name), cluster.Context(name), l.Spec.Namespace, l.Name())
			return nil
		},
	}
	cmd.Flags().StringVar(&nodeImage, "node-image", "", "kind node image (default: $LABGRADE_NODE_IMAGE, else kind's default)")
	return cmd
}

func newDownCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down LAB",
		Short: "Delete the lab's kind cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := cluster.ClusterName(args[0])
			k := cluster.NewKind()
			exists, err := k.Exists(name)
			if err != nil {
				return err
			}
			if !exists {
				fmt.Fprintf(cmd.OutOrStdout(), "no kind cluster %s; nothing to do\n", name)
				return nil
			}
			if err := k.Delete(name, cluster.KubeconfigPath(name)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted kind cluster %s\n", name)
			return nil
		},
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print labgrade's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "labgrade %s (kind %s)\n", labgradeVersion(), runner.KindVersion())
			return nil
		},
	}
}
