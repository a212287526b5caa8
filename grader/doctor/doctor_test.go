package doctor

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/labgrade/labgrade/grader/docker"
)

func healthy() Host {
	return Host{
		Engine: func(context.Context) (docker.Engine, error) {
			return docker.Engine{Version: "27.0", RootDir: "/var/lib/docker", CgroupVersion: "2", CgroupDriver: "systemd"}, nil
		},
		NodeImage:     func(context.Context) (string, string) { return "node:v1", "--node-image" },
		LocalImageID:  func(context.Context, string) (string, error) { return "sha256:1", nil },
		RunPrivileged: func(context.Context, string, ...string) (int, error) { return 0, nil },
		ReachProbe: func(context.Context, string) (docker.Candidate, error) {
			return docker.Candidate{Addr: "127.0.0.1:32768", Why: "loopback: the Docker engine is local"}, nil
		},
		Clusters:      func() ([]string, error) { return nil, nil },
		MemAvailable:  func() (int64, error) { return 8 * gib, nil },
		FreeDisk:      func(string) (int64, error) { return 50 * gib, nil },
		InotifyLimits: func() (int64, int64, error) { return 8192, 524288, nil },
	}
}

func statuses(fs []Finding) map[string]Status {
	out := map[string]Status{}
	for _, f := range fs {
		out[f.Check] = f.Status
	}
	return out
}

func TestExamine(t *testing.T) {
	fs := Examine(context.Background(), healthy())
	assert.False(t, Failed(fs))
	for check, s := range statuses(fs) {
		assert.Equal(t, OK, s, check)
	}

	h := healthy()
	h.RunPrivileged = func(context.Context, string, ...string) (int, error) {
		return -1, errors.New("operation not permitted")
	}
	h.MemAvailable = func() (int64, error) { return gib / 2, nil }
	h.FreeDisk = func(string) (int64, error) { return 3 * gib, nil }
	h.Clusters = func() ([]string, error) { return []string{"labgrade-k8s-serving"}, nil }
	h.InotifyLimits = func() (int64, int64, error) { return 128, 8192, nil }
	h.ReachProbe = func(context.Context, string) (docker.Candidate, error) {
		return docker.Candidate{}, &docker.UnreachableError{Port: "7777/tcp", Attempts: []docker.Attempt{
			{Candidate: docker.Candidate{Addr: "127.0.0.1:32768", Why: "loopback"}, Seen: "connection refused"}}}
	}
	fs = Examine(context.Background(), h)
	assert.True(t, Failed(fs))
	assert.Equal(t, map[string]Status{"docker": OK, "cgroups": OK, "node image": OK, "privileged": Fail, "containers": Fail,
		"memory": Fail, "disk": Warn, "inotify": Warn, "clusters": Warn}, statuses(fs))
	var b bytes.Buffer
	Write(&b, fs)
	assert.Contains(t, b.String(), "fix: each takes memory; remove labgrade's with labgrade down LAB")
	assert.Contains(t, b.String(), "127.0.0.1:32768 (loopback): connection refused", "the doctor names the address it tried")
	assert.Contains(t, b.String(), "fix: container checks need it: set LABGRADE_CONTAINER_HOST")

	h = healthy()
	h.Engine = func(context.Context) (docker.Engine, error) {
		return docker.Engine{}, errors.New("cannot reach the Docker engine")
	}
	fs = Examine(context.Background(), h)
	assert.Len(t, fs, 1, "nothing else can be checked without Docker")
	assert.Equal(t, Fail, fs[0].Status)

	h = healthy()
	h.LocalImageID = func(context.Context, string) (string, error) { return "", nil }
	assert.Equal(t, Warn, statuses(Examine(context.Background(), h))["node image"])
}
