package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

func TestKindConfigCgroupPatchOnlyOnV1(t *testing.T) {
	v1 := kindConfig("1", Options{})
	require.Len(t, v1.KubeadmConfigPatches, 1)
	assert.Contains(t, v1.KubeadmConfigPatches[0], "failCgroupV1: false")
	assert.Len(t, v1.Nodes, 1)

	v2 := kindConfig("2", Options{})
	assert.Empty(t, v2.KubeadmConfigPatches, "cgroup v2 hosts get plain kind behaviour")
	assert.Len(t, v2.Nodes, 1)
}

func TestKindConfigEndpointSyncDelay(t *testing.T) {
	c := kindConfig("2", Options{EndpointSyncDelay: 3 * time.Second})
	require.Len(t, c.KubeadmConfigPatches, 1)
	assert.Contains(t, c.KubeadmConfigPatches[0], "kind: KubeProxyConfiguration")
	assert.Contains(t, c.KubeadmConfigPatches[0], "minSyncPeriod: 3s")
}

func TestKubeconfigIsLabgradesOwn(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	p := KubeconfigPath("labgrade-x")
	home, _ := os.UserHomeDir()
	assert.NotEqual(t, filepath.Join(home, ".kube", "config"), p)
	assert.True(t, strings.HasSuffix(p, filepath.Join("labgrade", "kube", "labgrade-x.kubeconfig")), p)
	assert.Equal(t, "kind-labgrade-x", Context("labgrade-x"))
	assert.Equal(t, "labgrade-k8s-serving", ClusterName("k8s-serving"))
}

// A lab's layout becomes kind's nodes: labels as kind sets them, taints as
// a kubeadm patch of the node's own configuration, the control plane
// keeping its NoSchedule taint.
func TestKindConfigNodes(t *testing.T) {
	c := kindConfig("2", Options{Nodes: []Node{
		{ControlPlane: true},
		{Labels: map[string]string{"labgrade.dev/gpu": "true"}, Taints: []Taint{{Key: "nvidia.com/gpu", Effect: "NoSchedule"}}},
		{Labels: map[string]string{"labgrade.dev/pool": "cpu"}},
	}})
	require.Len(t, c.Nodes, 3)
	assert.Equal(t, v1alpha4.ControlPlaneRole, c.Nodes[0].Role)
	assert.Empty(t, c.Nodes[0].KubeadmConfigPatches, "no taints asked: kind's defaults")
	assert.Equal(t, v1alpha4.WorkerRole, c.Nodes[1].Role)
	assert.Equal(t, map[string]string{"labgrade.dev/gpu": "true"}, c.Nodes[1].Labels)
	assert.Equal(t, []string{`{"kind":"JoinConfiguration","nodeRegistration":{"taints":[{"key":"nvidia.com/gpu","effect":"NoSchedule"}]}}`}, c.Nodes[1].KubeadmConfigPatches)
	assert.Empty(t, c.Nodes[2].KubeadmConfigPatches)

	c = kindConfig("2", Options{Nodes: []Node{{ControlPlane: true, Taints: []Taint{{Key: "dedicated", Value: "system", Effect: "NoExecute"}}}}})
	assert.Equal(t, []string{`{"kind":"InitConfiguration","nodeRegistration":{"taints":[{"key":"dedicated","value":"system","effect":"NoExecute"},{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]}}`}, c.Nodes[0].KubeadmConfigPatches)
}

// A frozen cgroup below a node's is thawed, in both cgroup versions; a
// thawed one is left alone.
func TestThawBelow(t *testing.T) {
	dir := t.TempDir()
	v1 := filepath.Join(dir, "kubelet.slice", "pod", "c1")
	v2 := filepath.Join(dir, "kubelet.slice", "pod", "c2")
	require.NoError(t, os.MkdirAll(v1, 0o755))
	require.NoError(t, os.MkdirAll(v2, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(v1, "freezer.state"), []byte("FROZEN\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(v2, "cgroup.freeze"), []byte("1\n"), 0o644))
	thawBelow(dir)
	b, _ := os.ReadFile(filepath.Join(v1, "freezer.state"))
	assert.Equal(t, "THAWED", string(b))
	b, _ = os.ReadFile(filepath.Join(v2, "cgroup.freeze"))
	assert.Equal(t, "0", string(b))
	b, _ = os.ReadFile(filepath.Join(dir, "freezer.state"))
	assert.Equal(t, "THAWED\n", string(b), "not written when thawed")
	thawBelow(filepath.Join(dir, "absent")) // nothing there: nothing done
}
