package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
