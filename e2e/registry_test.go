//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/result"
)

// TestRegistry grades on a cluster whose nodes labgrade cannot load images
// into, as on a managed cluster: a separate two-node kind cluster whose
// containerd pulls from a real registry (go-containerregistry's, built
// here into an image and run on the kind network), given to labgrade only
// as a kubeconfig and --registry. labgrade pushes the lab's images there,
// the learner's manifests keep naming labgrade.local/..., the kubelets pull
// the registry's references, and the grade is the solution's 100 %.
func TestRegistry(t *testing.T) {
	t.Parallel()
	lane(t, 70)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	step := stepper(t)

	name := "labgrade-e2e-registry"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	kind := cluster.NewKind()
	t.Cleanup(func() {
		assert.NoError(t, kind.Delete(name, kubeconfig))
		assertNoClusterContainers(t, name)
	})
	require.NoError(t, kind.Create(ctx, name, nodeImage, kubeconfig, cluster.Options{
		Nodes: []cluster.Node{{ControlPlane: true}, {}},
		// containerd 1.7 reads a registry's hosts from certs.d only when
		// told to; the files are written below, once the port is known
		ContainerdConfigPatches: []string{"[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n"},
	}))
	step("cluster create")

	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: "labgrade.local/registry:e2e",
		Dir: filepath.Join(repoRoot, "fixtures", "images", "registry"), GOARCH: runtime.GOARCH}))
	alias := fmt.Sprintf("labgrade-e2e-registry-%d", time.Now().UnixNano()%1e6) // a run killed midway may leave its own
	reg, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: "labgrade.local/registry:e2e", Name: alias, ExposedPorts: []string{"5000/tcp"},
			Networks: []string{"kind"}, NetworkAliases: map[string][]string{"kind": {alias}},
			WaitingFor: wait.ForHTTP("/v2/").WithPort("5000/tcp").WithStartupTimeout(time.Minute),
		},
		Started: true,
	})
	if reg != nil {
		t.Cleanup(func() { _ = reg.Terminate(context.Background()) })
	}
	require.NoError(t, err)
	port, err := reg.MappedPort(ctx, "5000/tcp")
	require.NoError(t, err)
	hostPort := "localhost:" + port.Port()
	// the nodes know the registry by the name labgrade pushes to, and
	// reach it on the kind network
	nodes, err := kind.Nodes(name)
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	hosts := fmt.Sprintf("server = \"http://%s:5000\"\n\n[host.\"http://%s:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n", alias, alias)
	for _, n := range nodes {
		dir := "/etc/containerd/certs.d/" + hostPort
		require.NoError(t, n.Command("sh", "-c", "mkdir -p "+dir+" && cat > "+dir+"/hosts.toml").SetStdin(strings.NewReader(hosts)).Run(), n.String())
	}
	step("registry")

	registry := hostPort + "/class"
	res := labgrade(t, ctx, "run", "data-versioning", "--labs-dir", filepath.Join(repoRoot, "labs"),
		"--submission", filepath.Join(repoRoot, "labs", "data-versioning", "solution"),
		"--kubeconfig", kubeconfig, "--context", "kind-"+name, "--registry", registry, "-o", "json")
	step("graded")
	require.Equal(t, 0, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	var r result.Result
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &r))
	assert.Equal(t, r.MaxScore, r.Score)
	assert.Equal(t, registry, r.Environment.Registry, "the report says where the images came from")
	for _, img := range []string{"dataset-store", "etl"} {
		assert.Contains(t, res.stderr, fmt.Sprintf("images: pushed labgrade.local/%s:1.0 as %s/%s:1.0", img, registry, img))
	}
	assert.NotContains(t, res.stderr, "images: loaded", "nothing is loaded into the nodes")

	// the registry holds the lab's images, and the nodes pulled them from
	// it: no node holds the lab's labgrade.local images
	resp, err := http.Get("http://" + hostPort + "/v2/_catalog")
	require.NoError(t, err)
	catalog, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(catalog), "class/etl")
	assert.Contains(t, string(catalog), "class/dataset-store")
	pulled := false
	for _, n := range nodes {
		var out bytes.Buffer
		require.NoError(t, n.Command("crictl", "images").SetStdout(&out).Run(), n.String())
		for _, img := range []string{"labgrade.local/etl", "labgrade.local/dataset-store"} {
			assert.NotContains(t, out.String(), img, n.String()) // (the offline node image has a CNI of labgrade.local/)
		}
		pulled = pulled || strings.Contains(out.String(), registry+"/etl")
	}
	assert.True(t, pulled, "a node pulled %s/etl", registry)
	step("checked")
}
