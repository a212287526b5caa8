// Package cluster is labgrade's access to Kubernetes clusters: kind clusters
// it creates and deletes through kind's library, image loading into their
// nodes, and clients for any cluster given by a kubeconfig.
package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// kubeletCgroupV1Patch keeps kubelet >= 1.35 running on cgroup v1 hosts,
// where it refuses to start by default (failCgroupV1).
const kubeletCgroupV1Patch = `kind: KubeletConfiguration
apiVersion: kubelet.config.k8s.io/v1beta1
failCgroupV1: false
`

// Options are what a lab asks of its cluster.
type Options struct {
	// EndpointSyncDelay sets kube-proxy's iptables minSyncPeriod (0: kind's
	// default).
	EndpointSyncDelay time.Duration
}

// kindConfig is the cluster config for a host: kind's defaults (one
// control-plane node), plus the cgroup v1 patch only where the engine's host
// is on cgroup v1, so cgroup v2 users get plain kind behaviour, plus what
// the lab asks for.
func kindConfig(cgroupVersion string, o Options) *v1alpha4.Cluster {
	c := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes:    []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}},
	}
	if cgroupVersion == "1" {
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, kubeletCgroupV1Patch)
	}
	if o.EndpointSyncDelay > 0 {
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, fmt.Sprintf(`kind: KubeProxyConfiguration
apiVersion: kubeproxy.config.k8s.io/v1alpha1
iptables:
  minSyncPeriod: %s
`, o.EndpointSyncDelay))
	}
	return c
}

// ClusterName is the kind cluster a lab runs in.
func ClusterName(lab string) string { return "labgrade-" + lab }

// KubeconfigPath is labgrade's own kubeconfig file for a cluster, so that
// nothing is ever written to the user's ~/.kube/config.
func KubeconfigPath(clusterName string) string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "labgrade", "kube", clusterName+".kubeconfig")
}

// Context is the kubeconfig context kind writes for a cluster.
func Context(clusterName string) string { return "kind-" + clusterName }
