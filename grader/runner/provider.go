package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/version"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/faults"
)

// provider is everything a session asks of the machinery behind a
// cluster: kind for the cluster's life, the Docker engine for images, the
// API server for its version and for applying manifests. A session holds
// one; the fault-injecting wrapper below is one too, so tests make the
// environment fail without a fault point in the session's own code.
type provider interface {
	Exists(name string) (bool, error)
	Create(ctx context.Context, name, image, kubeconfig string, o cluster.Options) error
	Delete(name, kubeconfig string) error
	WriteKubeconfig(name, kubeconfig string) error
	// NodeImage is the image the cluster's first node runs ("" unknown).
	NodeImage(ctx context.Context, name string) string
	// BuildImage builds a lab image in the local Docker engine, unless
	// it holds one built from the same inputs (skipped).
	BuildImage(ctx context.Context, img docker.ImageSpec) (skipped bool, err error)
	// LoadImage loads a built image into the nodes of the kind cluster
	// that lack it, returning those nodes.
	LoadImage(ctx context.Context, name, ref string) ([]string, error)
	// PushImage pushes a built image to a registry as dest and returns
	// its digest there.
	PushImage(ctx context.Context, ref, dest string, insecure bool) (string, error)
	// ServerVersion asks the API server its version.
	ServerVersion(ctx context.Context, c *cluster.Clients) (string, error)
	Apply(ctx context.Context, c *cluster.Clients, objs []apply.Object, ns string) error
}

// newProvider is kind on the local Docker engine, wrapped with injected
// faults when $LABGRADE_INJECT_FAULTS asks for them.
func newProvider() provider {
	var p provider = kindProvider{cluster.NewKind()}
	if faults.Enabled() {
		p = faulty{p}
	}
	return p
}

// kindProvider is the real machinery.
type kindProvider struct{ *cluster.Kind }

func (kindProvider) BuildImage(ctx context.Context, img docker.ImageSpec) (bool, error) {
	return docker.BuildIfChanged(ctx, img)
}

func (kindProvider) PushImage(ctx context.Context, ref, dest string, insecure bool) (string, error) {
	host, err := docker.Connect(ctx)
	if err != nil {
		return "", err
	}
	defer host.Close()
	return host.Push(ctx, ref, dest, insecure)
}

func (kindProvider) ServerVersion(ctx context.Context, c *cluster.Clients) (string, error) {
	raw, err := c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v version.Info
	if err := json.Unmarshal(raw, &v); err != nil || v.GitVersion == "" {
		return "", fmt.Errorf("the API server's /version is not a version: %.100q", raw)
	}
	return v.GitVersion, nil
}

func (kindProvider) Apply(ctx context.Context, c *cluster.Clients, objs []apply.Object, ns string) error {
	return apply.Apply(ctx, c, objs, ns)
}

// faulty fails the first attempts at each fault point, as
// $LABGRADE_INJECT_FAULTS says, before handing over to the real provider.
type faulty struct{ provider }

func (f faulty) Create(ctx context.Context, name, image, kubeconfig string, o cluster.Options) error {
	if err := faults.At(faults.KindCreate); err != nil {
		return err
	}
	return f.provider.Create(ctx, name, image, kubeconfig, o)
}

func (f faulty) LoadImage(ctx context.Context, name, ref string) ([]string, error) {
	if err := faults.At(faults.ImageLoad); err != nil {
		return nil, err
	}
	return f.provider.LoadImage(ctx, name, ref)
}

func (f faulty) ServerVersion(ctx context.Context, c *cluster.Clients) (string, error) {
	if err := faults.At(faults.API); err != nil {
		return "", err
	}
	return f.provider.ServerVersion(ctx, c)
}

func (f faulty) Apply(ctx context.Context, c *cluster.Clients, objs []apply.Object, ns string) error {
	if err := faults.At(faults.Apply); err != nil {
		return err
	}
	return f.provider.Apply(ctx, c, objs, ns)
}
