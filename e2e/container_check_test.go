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
	"github.com/labgrade/labgrade/grader/images"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// TestContainerCheck grades images as plain containers on the real Docker
// engine, the way a lab grades an image the learner built: a good image
// passes; one that never becomes ready, runs as root, answers wrongly or is
// missing fails, each with its reason.
func TestContainerCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	step := stepper(t)
	dir := filepath.Join(repoRoot, "fixtures", "images", "model-server")
	const good, broken, root = "labgrade.local/model-server:e2e-check", "labgrade.local/model-server:e2e-check-broken", "labgrade.local/model-server:e2e-check-root"
	require.NoError(t, images.Build(ctx, images.Spec{Ref: good, Dir: dir, GOARCH: "amd64"}))
	require.NoError(t, images.Build(ctx, images.Spec{Ref: broken, Dir: dir, GOARCH: "amd64", LDFlagsX: map[string]string{"main.version": "broken"}}))
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
	check := func(image string, budget time.Duration, reqs ...spec.ContainerRequest) checks.Outcome {
		c := &spec.Check{ID: "image", Timeout: spec.Duration{Duration: time.Minute}, Container: &spec.ContainerCheck{
			Image: image, Port: 8080, ReadyPath: "/readyz", StartupBudget: spec.Duration{Duration: budget},
			Env: map[string]string{"WARMUP": "300ms"}, Requests: reqs,
		}}
		return checks.Run(ctx, checks.Env{}, c, nil)
	}

	o := check(good, 20*time.Second, spec.ContainerRequest{Path: "/healthz"}, predict)
	assert.Equal(t, result.Pass, o.Outcome, o.Message)
	step("good image passes")

	o = check(broken, 3*time.Second, predict)
	assert.Equal(t, result.Fail, o.Outcome)
	assert.Contains(t, o.Message, "did not become ready")
	step("never ready fails")

	o = check(root, 20*time.Second, predict)
	assert.Equal(t, result.Fail, o.Outcome)
	assert.Contains(t, o.Message, "runs as 0")
	step("root fails")

	o = check(good, 20*time.Second, spec.ContainerRequest{Method: "POST", Path: "/predict", Body: `{"instances": [[1, 2]]}`, Status: 200})
	assert.Equal(t, result.Fail, o.Outcome)
	assert.Contains(t, o.Message, "POST /predict answered 400, want 200")
	step("wrong answer fails")

	o = check("labgrade.local/no-such-image:1", 5*time.Second)
	assert.Equal(t, result.Fail, o.Outcome)
	assert.Contains(t, o.Message, "is not in the local Docker store")
}
