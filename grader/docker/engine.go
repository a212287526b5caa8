// Package docker is the one place where labgrade talks to the Docker
// engine: what the engine's host is (cgroup version, architecture), image
// IDs and archives (for loading into kind nodes), building the lab images,
// running images as plain containers (container checks, smoke tests,
// labgrade doctor) and finding where their published ports can be reached
// from here. It uses testcontainers-go's client, which honours DOCKER_HOST
// and Docker contexts the way the docker CLI does.
package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

func init() {
	// testcontainers' reaper (Ryuk) is an image from a registry; where none
	// is reachable it cannot start. labgrade removes what it creates itself,
	// so the reaper is off unless the user asked for it.
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// testcontainers prints a banner on its first connection; labgrade's
	// standard output carries reports (JSON, scorecards), so it stays quiet.
	tclog.SetDefault(tclog.NewNoopLogger())
}

// Host is a connection to the Docker engine.
type Host struct{ c *testcontainers.DockerClient }

// Connect opens a connection; the error says plainly when Docker is not
// running.
func Connect(ctx context.Context) (*Host, error) {
	c, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Docker engine (is Docker running?): %w", err)
	}
	if _, err := c.Ping(ctx, client.PingOptions{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot reach the Docker engine (is Docker running?): %w", err)
	}
	return &Host{c}, nil
}

// daemonHost is the engine's address as the client reaches it
// (unix:///var/run/docker.sock, tcp://host:2376, ...), "" if unknown. It
// comes from the environment and Docker's context, which do not change
// while labgrade runs: asked once.
var daemonHost = sync.OnceValue(func() string {
	c, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.DaemonHost()
})

// Close releases the connection.
func (h *Host) Close() error { return h.c.Close() }

// Info is what labgrade needs to know about the engine's host.
type Info struct {
	CgroupVersion string // "1" or "2"
	Arch          string // GOARCH of the engine's host, e.g. amd64
	OS            string
}

// Info asks the engine about its host.
func (h *Host) Info(ctx context.Context) (Info, error) {
	r, err := h.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return Info{}, fmt.Errorf("docker info: %w", err)
	}
	arch := r.Info.Architecture
	switch arch { // the engine reports uname -m
	case "x86_64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	}
	return Info{CgroupVersion: r.Info.CgroupVersion, Arch: arch, OS: r.Info.OSType}, nil
}

// ImageID returns the ID (sha256:…) of a local image, or "" if absent.
func (h *Host) ImageID(ctx context.Context, ref string) (string, error) {
	r, err := h.c.ImageInspect(ctx, ref)
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("docker image inspect %s: %w", ref, err)
	}
	return r.ID, nil
}

// NewestTag returns the most recently created local image whose reference
// matches repo (e.g. labgrade.local/kind-node), as repo:tag, or "".
func (h *Host) NewestTag(ctx context.Context, repo string) (string, error) {
	f := client.Filters{}
	f.Add("reference", repo)
	r, err := h.c.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return "", fmt.Errorf("docker images %s: %w", repo, err)
	}
	best, bestCreated := "", int64(-1)
	for _, img := range r.Items {
		for _, t := range img.RepoTags {
			if img.Created > bestCreated && len(t) > len(repo) && t[:len(repo)+1] == repo+":" {
				best, bestCreated = t, img.Created
			}
		}
	}
	return best, nil
}

// Save streams an image archive (docker save) of ref.
func (h *Host) Save(ctx context.Context, ref string) (io.ReadCloser, error) {
	r, err := h.c.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, fmt.Errorf("docker save %s: %w", ref, err)
	}
	return r, nil
}

// ContainersWithLabel lists the names of containers (running or not) that
// carry a label key=value; kind labels its nodes with their cluster name.
func (h *Host) ContainersWithLabel(ctx context.Context, key, value string) ([]string, error) {
	f := client.Filters{}
	f.Add("label", key+"="+value)
	r, err := h.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range r.Items {
		if len(c.Names) > 0 {
			names = append(names, c.Names[0])
		}
	}
	return names, nil
}

// isNotFound recognises the engine's "no such image" answer, which the
// client marks with containerd's errdefs classification.
func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// Engine is what the doctor reports about the engine.
type Engine struct {
	Version       string
	RootDir       string
	CgroupVersion string
	CgroupDriver  string
	MemTotal      int64
}

// Engine describes the Docker engine.
func (h *Host) Engine(ctx context.Context) (Engine, error) {
	r, err := h.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return Engine{}, fmt.Errorf("docker info: %w", err)
	}
	i := r.Info
	return Engine{Version: i.ServerVersion, RootDir: i.DockerRootDir, CgroupVersion: i.CgroupVersion,
		CgroupDriver: i.CgroupDriver, MemTotal: i.MemTotal}, nil
}

// RunPrivileged runs cmd in a privileged, throw-away container of image and
// returns its exit code: kind nodes are privileged containers, and some
// hosts cannot start them.
func (h *Host) RunPrivileged(ctx context.Context, image string, cmd ...string) (int, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: image, Entrypoint: cmd,
			HostConfigModifier: func(hc *container.HostConfig) { hc.Privileged = true },
		},
		Started: true,
	})
	if c != nil {
		defer func() { _ = c.Terminate(context.Background()) }()
	}
	if err != nil {
		return -1, err
	}
	for {
		st, err := c.State(ctx)
		if err != nil {
			return -1, err
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ContainerImage is the image a container was created from, as given.
func (h *Host) ContainerImage(ctx context.Context, name string) (string, error) {
	r, err := h.c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	return r.Container.Config.Image, nil
}

// LocalImageID is the ID of an image in the local Docker store, or "" when
// it is not there.
func LocalImageID(ctx context.Context, ref string) (string, error) {
	host, err := Connect(ctx)
	if err != nil {
		return "", err
	}
	defer host.Close()
	return host.ImageID(ctx, ref)
}

// DescribeEngine describes the local Docker engine, for labgrade doctor.
func DescribeEngine(ctx context.Context) (Engine, error) {
	host, err := Connect(ctx)
	if err != nil {
		return Engine{}, err
	}
	defer host.Close()
	return host.Engine(ctx)
}

// RunPrivileged runs cmd in a privileged throw-away container of image and
// returns its exit code.
func RunPrivileged(ctx context.Context, image string, cmd ...string) (int, error) {
	host, err := Connect(ctx)
	if err != nil {
		return -1, err
	}
	defer host.Close()
	return host.RunPrivileged(ctx, image, cmd...)
}

// ImageLabel is the value of an image's label key ("" when the image or
// the label is missing).
func (h *Host) ImageLabel(ctx context.Context, ref, key string) (string, error) {
	r, err := h.c.ImageInspect(ctx, ref)
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("docker image inspect %s: %w", ref, err)
	}
	if r.Config == nil {
		return "", nil
	}
	return r.Config.Labels[key], nil
}
