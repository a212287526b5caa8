//go:build e2e

package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// TestGPUNodes proves a lab's node layout and its GPU device plugin on a
// 3-node kind cluster (e2e/testdata/labs/gpu-nodes): the GPU worker joins
// with its label and taint, its kubelet advertises nvidia.com/gpu: 4
// learned from the plugin over the device-plugin gRPC API, and the CPU
// worker has none; a Job of two 2-GPU pods runs there with four distinct
// devices handed out by the plugin; a fifth GPU is refused by the
// scheduler with the reason a learner would read.
func TestGPUNodes(t *testing.T) {
	t.Parallel()
	lane(t, 104)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	step := stepper(t)
	s := openLabSession(t, ctx, "gpu-nodes")
	step("3-node cluster, images, device plugin")
	c := s.Clients().Typed

	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, nodes.Items, 3)
	var gpuNode string
	for _, n := range nodes.Items {
		gpus := n.Status.Allocatable[corev1.ResourceName("nvidia.com/gpu")]
		switch {
		case n.Labels["labgrade.dev/gpu"] == "true":
			gpuNode = n.Name
			assert.Equal(t, int64(4), gpus.Value(), "the GPU worker advertises the plugin's four devices")
			assert.Contains(t, n.Spec.Taints, corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule})
		case n.Labels["labgrade.dev/pool"] == "cpu":
			assert.True(t, gpus.IsZero(), "the CPU worker has no GPU")
			assert.Empty(t, n.Spec.Taints)
		default:
			assert.Contains(t, n.Name, "control-plane")
			assert.Contains(t, n.Spec.Taints, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule},
				"with workers, the control plane keeps its taint")
		}
	}
	require.NotEmpty(t, gpuNode)

	res := s.Grade(ctx, runner.Grading{Namespace: "gpu-nodes", Name: "gpu-nodes", Setup: runner.Fresh})
	require.Equal(t, result.Passed, res.Verdict, "%s %+v", res.EnvironmentError, res.Checks)
	step("GPU job running")
	pods, err := c.CoreV1().Pods("gpu-nodes").List(ctx, metav1.ListOptions{LabelSelector: "app=trainer"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 2)
	var devices []string
	for _, p := range pods.Items {
		assert.Equal(t, gpuNode, p.Spec.NodeName)
		var logs string
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			raw, err := c.CoreV1().Pods("gpu-nodes").GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			logs = string(raw)
			return err == nil && strings.Contains(logs, "training on"), nil
		}), "the trainer logs its devices")
		_, after, _ := strings.Cut(logs, "training on 2 GPU(s): ")
		line, _, _ := strings.Cut(after, "\n")
		devices = append(devices, strings.Split(strings.TrimSpace(line), ",")...)
	}
	sort.Strings(devices)
	assert.Equal(t, []string{"gpu-0", "gpu-1", "gpu-2", "gpu-3"}, devices, "each pod got two devices of its own")

	// every GPU is taken: one more stays Pending, and the scheduler says why
	extra := pods.Items[0].DeepCopy()
	extra.ObjectMeta = metav1.ObjectMeta{Name: "one-more", Namespace: "gpu-nodes"}
	extra.Spec.NodeName = ""
	extra.Spec.Containers[0].Resources.Limits[corev1.ResourceName("nvidia.com/gpu")] = resource.MustParse("1")
	extra.Spec.Containers[0].Resources.Requests[corev1.ResourceName("nvidia.com/gpu")] = resource.MustParse("1")
	_, err = c.CoreV1().Pods("gpu-nodes").Create(ctx, extra, metav1.CreateOptions{})
	require.NoError(t, err)
	var why string
	require.NoError(t, wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := c.CoreV1().Events("gpu-nodes").List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
			"involvedObject.name": "one-more", "reason": "FailedScheduling"}.String()})
		if err != nil || len(evs.Items) == 0 {
			return false, nil
		}
		why = evs.Items[0].Message
		return true, nil
	}))
	assert.Contains(t, why, "Insufficient nvidia.com/gpu")
	t.Logf("    the scheduler: %s", why)
	step("a fifth GPU refused")
}
