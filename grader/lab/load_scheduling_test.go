package lab

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const schedulingLab = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  cluster:
    exclusive: true
  passingScore: 70
  checks:
  - id: placed
    title: Training runs on GPU nodes
    points: 5
    scheduling:
      selector: app=trainer
      nodes: labgrade.dev/gpu=true
  - id: preempted
    title: Inference preempts training
    points: 5
    scheduling:
      selector: app=trainer
      min: 2
      nodes: labgrade.dev/gpu=true
      burst:
        deployment: inference-gpu
        replicas: 1
`

// A scheduling check loads with its defaults (min 1; a burst's deadlines
// and a timeout that holds them); a burst makes it disruptive; each
// mistake is refused at its file:line:column.
func TestLoadScheduling(t *testing.T) {
	l, err := Load(writeLab(t, schedulingLab))
	require.NoError(t, err)
	assert.True(t, l.Spec.Cluster.Exclusive)
	placed, _ := l.Check("placed")
	require.NotNil(t, placed.Scheduling)
	assert.Equal(t, 1, placed.Scheduling.Min)
	assert.Equal(t, 45*time.Second, placed.Timeout.Duration)
	assert.True(t, placed.IsQuick())
	assert.False(t, placed.IsDisruptive())
	pre, _ := l.Check("preempted")
	assert.Equal(t, 45*time.Second, pre.Scheduling.Burst.Deadline.Duration)
	assert.Equal(t, 60*time.Second, pre.Scheduling.Burst.Resume.Duration)
	assert.Equal(t, 150*time.Second, pre.Timeout.Duration)
	assert.True(t, pre.IsDisruptive())

	cases := []struct{ name, old, new, want string }{
		{"bad selector", "selector: app=trainer\n      nodes", "selector: app==trainer,(\n      nodes", `15:17: selector "app==trainer,(" in check "placed"`},
		{"no nodes", "      nodes: labgrade.dev/gpu=true\n  - id", "  - id", `15:7: missing required field "nodes" in check "placed"`},
		{"no burst replicas", "replicas: 1", "replicas: 0", `check "preempted" must be at least 1`},
		{"bad deployment name", "deployment: inference-gpu", "deployment: Inference_GPU", `burst.deployment "Inference_GPU" in check "preempted" is not a valid Deployment name`},
		{"burst without pods to preempt", "min: 2", "min: -1", `min in check "preempted" must not be negative`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, schedulingLab, tc.old)
			_, err := Load(writeLab(t, strings.Replace(schedulingLab, tc.old, tc.new, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
