package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKindConfigCgroupPatchOnlyOnV1(t *testing.T) {
	v1 := kindConfig("1")
	require.Len(t, v1.KubeadmConfigPatches, 1)
	assert.Contains(t, v1.KubeadmConfigPatches[0], "failCgroupV1: false")
	assert.Len(t, v1.Nodes, 1)

	v2 := kindConfig("2")
	assert.Empty(t, v2.KubeadmConfigPatches, "cgroup v2 hosts get plain kind behaviour")
	assert.Len(t, v2.Nodes, 1)
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
