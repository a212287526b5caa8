package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/runner"
)

// registryFlags are --registry and --registry-insecure, for grading in a
// cluster whose nodes labgrade cannot load images into.
type registryFlags struct {
	registry string
	insecure bool
}

func (r *registryFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.registry, "registry", "", "with --kubeconfig: push the lab's images to REGISTRY/PREFIX and run them from there (labgrade.local/NAME becomes REGISTRY/PREFIX/NAME in the cluster)")
	f.BoolVar(&r.insecure, "registry-insecure", false, "talk plain HTTP to --registry (implied for a registry on localhost)")
}

// set puts the image mapping into o (see imageMap).
func (r *registryFlags) set(o *runner.Options) error {
	m, err := r.imageMap(o.Cluster == runner.ExistingCluster)
	o.Registry = m
	return err
}

// imageMap is the mapping --registry asks for, nil without it. A registry
// for a kind cluster labgrade makes (not existing) is a usage error: its
// nodes get the images directly.
func (r *registryFlags) imageMap(existing bool) (*cluster.ImageMap, error) {
	if r.registry == "" {
		if r.insecure {
			return nil, fmt.Errorf("--registry-insecure goes with --registry")
		}
		return nil, nil
	}
	if !existing {
		return nil, fmt.Errorf("--registry goes with --kubeconfig (or --context): a kind cluster labgrade makes gets the lab's images loaded into its nodes")
	}
	return cluster.NewImageMap(r.registry, r.insecure)
}
