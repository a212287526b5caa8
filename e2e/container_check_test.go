//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/labgrade/labgrade/grader/checks"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/spec"
)

// TestContainerCheck grades images as plain containers on the real Docker
// engine, the way a lab grades an image the learner built: a good image
// passes; one that never becomes ready, runs as root, answers wrongly or is
// missing fails, each with its reason.
func TestContainerCheck(t *testing.T) {
	t.Parallel() // light: runs beside TestLabK8sServing (see there)
	lane(t, 9)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	step := stepper(t)
	dir := filepath.Join(repoRoot, "fixtures", "images", "model-server")
	const good, broken, root = "labgrade.local/model-server:e2e-check", "labgrade.local/model-server:e2e-check-broken", "labgrade.local/model-server:e2e-check-root"
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: good, Dir: dir, GOARCH: "amd64"}))
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: broken, Dir: dir, GOARCH: "amd64", LDFlagsX: map[string]string{"main.version": "broken"}}))
	base := good
	var log bytes.Buffer
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: filepath.Join(repoRoot, "e2e", "testdata", "root-image"), Repo: "labgrade.local/model-server", Tag: "e2e-check-root",
		KeepImage: true, BuildArgs: map[string]*string{"BASE": &base}, BuildLogWriter: &log,
	}}
	p, err := testcontainers.NewDockerProvider()
	require.NoError(t, err)
	defer p.Close()
	_, err = p.BuildImage(ctx, &req)
	require.NoError(t, err, log.String())
	step("image builds")

	predict := spec.ContainerRequest{Method: "POST", Path: "/predict", Status: 200, LatencyBudget: spec.Duration{Duration: 2 * time.Second},
		Body: `{"instances": [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871]]}`}
	check := func(image string, budget time.Duration, reqs ...spec.ContainerRequest) (string, error) {
		k := &spec.ContainerCheck{Image: image, StartupBudget: spec.Duration{Duration: budget},
			Env: map[string]string{"WARMUP": "300ms"}, Requests: reqs}
		c := &spec.Check{ID: "image", Timeout: spec.Duration{Duration: time.Minute}, Kinds: spec.Kinds{Container: k}}
		k.Default(c) // port 8080, /readyz, each request a GET answered 200, as lab.Load gives them
		return checks.Run(ctx, checks.Env{}, c)
	}
	// failed requires the learner's failure, saying want
	failed := func(err error, want string) {
		t.Helper()
		var f *checks.Failure
		require.ErrorAs(t, err, &f, "a learner failure, not an environment error: %v", err)
		assert.Contains(t, err.Error(), want)
	}

	evidence, err := check(good, 20*time.Second, spec.ContainerRequest{Path: "/healthz"}, predict)
	require.NoError(t, err)
	assert.Regexp(t, `^ready after \S+ at \S+:\d+ \(.+\)$`, evidence, "the check says where it reached the container, and why there")
	step("good image passes")

	_, err = check(broken, 3*time.Second, predict)
	failed(err, "did not become ready")
	step("never ready fails")

	_, err = check(root, 20*time.Second, predict)
	failed(err, "runs as 0")
	step("root fails")

	_, err = check(good, 20*time.Second, spec.ContainerRequest{Method: "POST", Path: "/predict", Body: `{"instances": [[1, 2]]}`, Status: 200})
	failed(err, "POST /predict answered 400, want 200")
	step("wrong answer fails")

	_, err = check("labgrade.local/no-such-image:1", 5*time.Second)
	failed(err, "is not in the local Docker store")
}
