// Package cluster is labgrade's access to Kubernetes clusters: kind clusters
// it creates and deletes through kind's library, image loading into their
// nodes, and clients for any cluster given by a kubeconfig.
package cluster

import (
	"encoding/json"
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
	// Nodes lays out the cluster (none: kind's one control-plane node).
	Nodes []Node
	// ContainerdConfigPatches are merged into every node's containerd
	// config (kind's containerdConfigPatches), e.g. to read registry hosts
	// from /etc/containerd/certs.d.
	ContainerdConfigPatches []string
}

// Node is one node of a kind cluster: its role and what it joins with.
type Node struct {
	// ControlPlane is the first node's role; the others are workers.
	ControlPlane bool
	Labels       map[string]string
	// Taints as kubeadm registers them: key, value, effect.
	Taints []Taint
}

// Taint is a node taint.
type Taint struct{ Key, Value, Effect string }

// kindConfig is the cluster config for a host: kind's defaults (one
// control-plane node), plus the cgroup v1 patch only where the engine's host
// is on cgroup v1, so cgroup v2 users get plain kind behaviour, plus what
// the lab asks for.
func kindConfig(cgroupVersion string, o Options) *v1alpha4.Cluster {
	c := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes:    []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}},
	}
	if len(o.Nodes) > 0 {
		c.Nodes = nil
		for _, n := range o.Nodes {
			c.Nodes = append(c.Nodes, kindNode(n))
		}
	}
	if cgroupVersion == "1" {
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, kubeletCgroupV1Patch)
	}
	c.ContainerdConfigPatches = o.ContainerdConfigPatches
	if o.EndpointSyncDelay > 0 {
		c.KubeadmConfigPatches = append(c.KubeadmConfigPatches, fmt.Sprintf(`kind: KubeProxyConfiguration
apiVersion: kubeproxy.config.k8s.io/v1alpha1
iptables:
  minSyncPeriod: %s
`, o.EndpointSyncDelay))
	}
	return c
}

// kindNode is one node of the kind config. kind sets a node's labels
// itself; taints go to kubeadm's nodeRegistration, of InitConfiguration on
// the control plane and JoinConfiguration on a worker. The patch is JSON
// (YAML's subset), so that keys and values need no quoting rules.
func kindNode(n Node) v1alpha4.Node {
	out := v1alpha4.Node{Role: v1alpha4.WorkerRole, Labels: n.Labels}
	kind := "JoinConfiguration"
	if n.ControlPlane {
		out.Role, kind = v1alpha4.ControlPlaneRole, "InitConfiguration"
	}
	if len(n.Taints) > 0 {
		type taint struct {
			Key    string `json:"key"`
			Value  string `json:"value,omitempty"`
			Effect string `json:"effect"`
		}
		var ts []taint
		for _, t := range n.Taints {
			ts = append(ts, taint{t.Key, t.Value, t.Effect})
		}
		if n.ControlPlane { // registering taints replaces kubeadm's default one
			ts = append(ts, taint{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"})
		}
		// no apiVersion: kind then patches its kubeadm config of whichever
		// version the node's Kubernetes takes
		patch, _ := json.Marshal(map[string]any{"kind": kind, "nodeRegistration": map[string]any{"taints": ts}})
		out.KubeadmConfigPatches = []string{string(patch)}
	}
	return out
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
