//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/fixtures/model"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/traffic"
)

// TestModelServerImage smoke-tests the model-server image as a plain
// container with testcontainers-go: it becomes ready, answers a real
// prediction and runs as non-root; the broken version never becomes ready.
func TestModelServerImage(t *testing.T) {
	t.Parallel() // light: runs beside TestLabK8sServing (see there)
	lane(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(repoRoot, "fixtures", "images", "model-server")
	step := stepper(t)
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: "labgrade.local/model-server:e2e", Dir: dir, GOARCH: "amd64"}))
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: "labgrade.local/model-server:e2e-broken", Dir: dir, GOARCH: "amd64",
		LDFlagsX: map[string]string{"main.version": "broken"}}))
	step("image builds")

	res, err := docker.Smoke(ctx, "labgrade.local/model-server:e2e", docker.Probe{
		Port: "8080/tcp", ReadyPath: "/readyz", Env: map[string]string{"WARMUP": "500ms"},
		Requests: []docker.Request{{Method: "POST", Path: "/predict",
			Body: `{"instances": [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871]]}`}},
	})
	require.NoError(t, err)
	require.Len(t, res.Answers, 1)
	assert.Equal(t, 200, res.Answers[0].Status)
	assert.Contains(t, res.Answers[0].Body, `"label":"malignant"`)
	assert.False(t, res.RunsAsRoot)
	assert.GreaterOrEqual(t, res.Ready, 500*time.Millisecond, "not ready before its warm-up")
	step("1.0 ready + predict")

	_, err = docker.Smoke(ctx, "labgrade.local/model-server:e2e-broken", docker.Probe{
		Port: "8080/tcp", ReadyPath: "/readyz", Env: map[string]string{"WARMUP": "0s"}, Timeout: 4 * time.Second,
	})
	require.Error(t, err, "the broken version must never become ready")
	assert.Contains(t, err.Error(), "did not become ready")
	step("broken never ready")
}

// TestDriftMonitorImage runs the drift-monitor image with a config and the
// reference data copied in: it becomes ready, ingests samples, reports a
// drifted feature in /status, and reports that it could not deliver its
// Event alert outside a cluster instead of failing silently.
func TestDriftMonitorImage(t *testing.T) {
	t.Parallel() // light: runs beside TestLabK8sServing (see there)
	lane(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ref = "labgrade.local/drift-monitor:e2e"
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: ref, Dir: filepath.Join(repoRoot, "fixtures", "images", "drift-monitor"), GOARCH: "amd64"}))
	config := `reference: /data/reference.csv
features:
- {name: mean_radius, type: numeric}
- {name: mean_texture, type: numeric}
tests: {numeric: {test: ks, threshold: 0.01}}
window: {size: 500}
minSamples: 100
interval: 1s
alerts: {event: {kind: Deployment, name: model-server}}
`
	names, rows, err := model.Reference()
	require.NoError(t, err)
	var instances []map[string]float64
	for _, r := range rows[:300] {
		m := map[string]float64{}
		for i, n := range names {
			m[n] = r[i]
		}
		m["mean_texture"] += 8 // drift one feature
		instances = append(instances, m)
	}
	body, _ := json.Marshal(map[string]any{"instances": instances})
	res, err := docker.Smoke(ctx, ref, docker.Probe{
		Port: "8080/tcp", ReadyPath: "/readyz",
		Files: map[string][]byte{"/etc/drift-monitor/config.yaml": []byte(config), "/data/reference.csv": model.ReferenceCSV()},
		Requests: []docker.Request{
			{Method: "POST", Path: "/ingest", Body: string(body)},
			// the status after a few evaluation intervals
			{Method: "GET", Path: "/status", Delay: 2500 * time.Millisecond},
		},
	})
	require.NoError(t, err)
	require.Len(t, res.Answers, 2)
	assert.Equal(t, 202, res.Answers[0].Status, res.Answers[0].Body)
	var st struct {
		Samples  int `json:"samples"`
		Features []struct {
			Name  string `json:"name"`
			Drift bool   `json:"drift"`
		} `json:"features"`
		Alerts map[string]struct {
			Sent      int    `json:"sent"`
			LastError string `json:"lastError"`
		} `json:"alerts"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Answers[1].Body), &st), res.Answers[1].Body)
	assert.Equal(t, 300, st.Samples)
	drifted := map[string]bool{}
	for _, f := range st.Features {
		drifted[f.Name] = f.Drift
	}
	assert.Equal(t, map[string]bool{"mean_radius": false, "mean_texture": true}, drifted)
	assert.Contains(t, st.Alerts["event"].LastError, "no Kubernetes API access")
}

// TestLoadgenImage runs the load generator as a plain container against an
// address where nothing listens: it starts, sends at its rate, and its
// summary counts every request as failed, with the reason.
func TestLoadgenImage(t *testing.T) {
	t.Parallel() // light: runs beside TestLabK8sServing (see there)
	lane(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ref = "labgrade.local/loadgen:e2e"
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: ref, Dir: filepath.Join(repoRoot, "fixtures", "images", "loadgen"), GOARCH: "amd64"}))
	res, err := docker.Smoke(ctx, ref, docker.Probe{
		Port: "8081/tcp", ReadyPath: "/summary", Cmd: []string{"-target", "http://127.0.0.1:9/predict", "-rate", "50"},
		Requests: []docker.Request{{Method: "GET", Path: "/summary", Delay: time.Second}},
	})
	require.NoError(t, err)
	assert.False(t, res.RunsAsRoot)
	require.Len(t, res.Answers, 1)
	var s traffic.Summary
	require.NoError(t, json.Unmarshal([]byte(res.Answers[0].Body), &s), res.Answers[0].Body)
	assert.Greater(t, s.Sent, 20, "about 50 requests a second")
	assert.Equal(t, s.Sent, s.Failed, "nothing listens there")
	assert.NotEmpty(t, s.FirstFailure)
}
