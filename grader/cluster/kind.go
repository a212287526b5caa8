package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	kinddefaults "sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	"sigs.k8s.io/kind/pkg/exec"
	"sigs.k8s.io/kind/pkg/log"

	"github.com/labgrade/labgrade/grader/docker"
)

// EnvNodeImage names the node image when --node-image is not given.
const EnvNodeImage = "LABGRADE_NODE_IMAGE"

// Kind creates, finds and deletes kind clusters on the local Docker engine.
type Kind struct {
	provider *cluster.Provider
}

// NewKind returns labgrade's kind provider (Docker).
func NewKind() *Kind {
	return &Kind{provider: cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(log.NoopLogger{}))}
}

// OfflineNodeImageRepo is where hack/build-node-image.sh puts the node
// images it builds without a registry.
const OfflineNodeImageRepo = "labgrade.local/kind-node"

// ResolveNodeImage picks the node image and says why: the flag, else
// $LABGRADE_NODE_IMAGE, else kind's default when it is already local, else
// the newest local offline build (hack/build-node-image.sh), else kind's
// default for kind to pull. "" means kind's default.
func ResolveNodeImage(ctx context.Context, flag string) (image, why string) {
	if flag != "" {
		return flag, "--node-image"
	}
	if env := os.Getenv(EnvNodeImage); env != "" {
		return env, "$" + EnvNodeImage
	}
	host, err := docker.Connect(ctx)
	if err != nil {
		return "", "kind's default"
	}
	defer host.Close()
	if id, _ := host.ImageID(ctx, kinddefaults.Image); id != "" {
		return "", "kind's default"
	}
	if offline, _ := host.NewestTag(ctx, OfflineNodeImageRepo); offline != "" {
		return offline, "kind's default is not local; using the offline build"
	}
	return "", "kind's default, to be pulled"
}

// Exists reports whether a kind cluster of that name exists.
func (k *Kind) Exists(name string) (bool, error) {
	names, err := k.provider.List()
	if err != nil {
		return false, fmt.Errorf("listing kind clusters: %w", err)
	}
	return slices.Contains(names, name), nil
}

// Create makes a kind cluster and writes its kubeconfig to kubeconfig.
// kind's create cannot be interrupted half-way; when ctx ends first, Create
// waits for it to finish, deletes the cluster, and returns ctx's error, so
// an interrupted run leaves nothing behind.
func (k *Kind) Create(ctx context.Context, name, nodeImage, kubeconfig string, o Options) error {
	host, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	info, err := host.Info(ctx)
	host.Close()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o700); err != nil {
		return err
	}
	opts := []cluster.CreateOption{
		cluster.CreateWithV1Alpha4Config(kindConfig(info.CgroupVersion, o)),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithWaitForReady(3 * time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	}
	if nodeImage != "" {
		opts = append(opts, cluster.CreateWithNodeImage(nodeImage))
	}
	done := make(chan error, 1)
	go func() { done <- k.provider.Create(name, opts...) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("creating kind cluster %s: %s", name, describe(err))
		}
		return nil
	case <-ctx.Done():
		<-done
		_ = k.Delete(name, kubeconfig)
		return ctx.Err()
	}
}

// Delete removes the cluster and its entry in kubeconfig.
func (k *Kind) Delete(name, kubeconfig string) error {
	// A loaded Docker engine sometimes fails to kill a node container on
	// the first try ("tried to kill container, but did not receive an exit
	// event"); deleting is idempotent (what is gone stays gone), so it is
	// tried again before the error stands.
	var err error
	for attempt, pause := 1, 2*time.Second; ; attempt, pause = attempt+1, 2*pause {
		if err = k.provider.Delete(name, kubeconfig); err == nil {
			return nil
		}
		if attempt == deleteAttempts {
			return fmt.Errorf("deleting kind cluster %s (%d attempts): %s", name, attempt, describe(err))
		}
		k.thawNodes(name)
		time.Sleep(pause)
	}
}

// thawNodes thaws every frozen cgroup inside the cluster's node containers.
// On cgroup v1 hosts runc, inside a node, freezes a container's cgroup to
// signal all its processes at once; a node killed in that moment leaves
// the cgroup frozen, its processes can then never exit, and Docker can
// neither kill nor remove the node ("did not receive an exit event"; seen
// here when a cluster was deleted right after its namespaces). Thawing
// lets them die. It needs the Docker host's /sys/fs/cgroup (labgrade on
// that host, as root); elsewhere there is nothing to find and it does
// nothing.
func (k *Kind) thawNodes(name string) {
	nodes, err := k.provider.ListNodes(name)
	if err != nil {
		return
	}
	for _, n := range nodes {
		out, err := exec.Output(exec.Command("docker", "inspect", "--format", "{{.Id}}", n.String()))
		if err != nil {
			continue
		}
		id := strings.TrimSpace(string(out))
		for _, root := range []string{
			"/sys/fs/cgroup/freezer/docker/" + id,                         // v1, cgroupfs driver
			"/sys/fs/cgroup/freezer/system.slice/docker-" + id + ".scope", // v1, systemd driver
			"/sys/fs/cgroup/docker/" + id,                                 // v2
			"/sys/fs/cgroup/system.slice/docker-" + id + ".scope",
		} {
			thawBelow(root)
		}
	}
}

// thawBelow thaws every frozen cgroup at or below dir: freezer.state
// FROZEN (v1) or cgroup.freeze 1 (v2).
func thawBelow(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "freezer.state":
			if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "THAWED" {
				_ = os.WriteFile(path, []byte("THAWED"), 0)
			}
		case "cgroup.freeze":
			if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == "1" {
				_ = os.WriteFile(path, []byte("0"), 0)
			}
		}
		return nil
	})
}

// deleteAttempts bounds the tries of Delete.
const deleteAttempts = 3

// WriteKubeconfig (re)writes the kubeconfig of an existing cluster, for
// --reuse when labgrade's file was removed.
func (k *Kind) WriteKubeconfig(name, kubeconfig string) error {
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o700); err != nil {
		return err
	}
	return k.provider.ExportKubeConfig(name, kubeconfig, false)
}

// Nodes lists the cluster's Kubernetes nodes.
func (k *Kind) Nodes(name string) ([]nodes.Node, error) {
	return k.provider.ListInternalNodes(name)
}

// LoadImage loads a local Docker image into every node of the cluster the
// way `kind load docker-image` does (an image archive piped into the node's
// containerd), skipping nodes that already hold the same image ID. It
// returns the nodes it loaded.
func (k *Kind) LoadImage(ctx context.Context, name, image string) ([]string, error) {
	host, err := docker.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer host.Close()
	id, err := host.ImageID(ctx, image)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("image %s is not in the local Docker engine", image)
	}
	ns, err := k.Nodes(name)
	if err != nil {
		return nil, fmt.Errorf("listing nodes of %s: %w", name, err)
	}
	var loaded []string
	for _, n := range ns {
		if have, err := nodeutils.ImageID(n, image); err == nil && have == id {
			continue
		}
		archive, err := host.Save(ctx, image)
		if err != nil {
			return loaded, err
		}
		err = nodeutils.LoadImageArchive(n, archive)
		archive.Close()
		if err != nil {
			return loaded, fmt.Errorf("loading %s into node %s: %s", image, n.String(), describe(err))
		}
		loaded = append(loaded, n.String())
	}
	return loaded, nil
}

// describe adds the output of a failed command inside kind's error, which
// kind keeps apart from the message.
func describe(err error) string {
	msg := err.Error()
	var re *exec.RunError
	if errors.As(err, &re) && len(re.Output) > 0 {
		out := strings.TrimSpace(string(bytes.TrimSpace(re.Output)))
		lines := strings.Split(out, "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		msg += ": " + strings.Join(lines, " | ")
	}
	return msg
}

// List names the kind clusters on this host.
func (k *Kind) List() ([]string, error) { return k.provider.List() }

// DefaultNodeImage is kind's default node image.
const DefaultNodeImage = kinddefaults.Image

// NodeImage is the image the cluster's first node runs, or "" when it
// cannot be told.
func (k *Kind) NodeImage(ctx context.Context, name string) string {
	ns, err := k.Nodes(name)
	if err != nil || len(ns) == 0 {
		return ""
	}
	host, err := docker.Connect(ctx)
	if err != nil {
		return ""
	}
	defer host.Close()
	img, _ := host.ContainerImage(ctx, ns[0].String())
	return img
}
