package runner

import (
	"context"
	"os"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
)

// connectKnown connects labgrade check to the lab's kind cluster through
// the kubeconfig labgrade wrote for it, without asking kind: check runs at
// every save, and kind's cluster list and kubeconfig export (a docker ps
// and a docker exec into the node) took longer than all the quick checks
// together. The kubeconfig pins the cluster's CA, so an API server that
// answers through it is this cluster. When it does not answer (no file yet,
// a cluster that was recreated, or restarted on another port), it returns
// false and ensureCluster goes the usual way through kind, with retries.
func (s *Session) connectKnown(ctx context.Context, name, kubeconfig string) bool {
	if _, err := os.Stat(kubeconfig); err != nil {
		return false
	}
	c, err := cluster.Connect(kubeconfig, cluster.Context(name))
	if err != nil {
		return false
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := s.provider.ServerVersion(vctx, c)
	if err != nil {
		return false
	}
	s.clients, s.kindCluster = c, name
	s.env.Cluster, s.env.Kubernetes = name, v
	s.progress("cluster: kind cluster %s answers through %s", name, kubeconfig)
	// The node image is only for the report: Docker is asked while the
	// checks run, and Close waits (briefly) for the answer.
	image := make(chan string, 1)
	go func() { image <- s.provider.NodeImage(ctx, name) }()
	s.nodeImage = image
	return true
}
