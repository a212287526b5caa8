//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/images"
)

// TestModelServerImage smoke-tests the model-server image as a plain
// container with testcontainers-go: it becomes ready, answers a real
// prediction and runs as non-root; the broken version never becomes ready.
func TestModelServerImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(repoRoot, "fixtures", "images", "model-server")
	step := stepper(t)
	require.NoError(t, images.Build(ctx, images.Spec{Ref: "labgrade.local/model-server:e2e", Dir: dir, GOARCH: "amd64"}))
	require.NoError(t, images.Build(ctx, images.Spec{Ref: "labgrade.local/model-server:e2e-broken", Dir: dir, GOARCH: "amd64",
		LDFlagsX: map[string]string{"main.version": "broken"}}))
	step("image builds")

	res, err := images.Smoke(ctx, "labgrade.local/model-server:e2e", images.Probe{
		Port: "8080/tcp", ReadyPath: "/readyz", Env: map[string]string{"WARMUP": "500ms"},
		Method: "POST", Path: "/predict", WantStatus: 200,
		Body: `{"instances": [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871]]}`,
	})
	require.NoError(t, err)
	assert.Contains(t, res.Body, `"label":"malignant"`)
	assert.False(t, res.RunsAsRoot)
	assert.GreaterOrEqual(t, res.Ready, 500*time.Millisecond, "not ready before its warm-up")
	step("1.0 ready + predict")

	_, err = images.Smoke(ctx, "labgrade.local/model-server:e2e-broken", images.Probe{
		Port: "8080/tcp", ReadyPath: "/readyz", Env: map[string]string{"WARMUP": "0s"}, Timeout: 4 * time.Second,
	})
	require.Error(t, err, "the broken version must never become ready")
	assert.Contains(t, err.Error(), "did not become ready")
	step("broken never ready")
}
