//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// TestLabGPUScheduling proves the gpu-scheduling lab on a 3-node kind
// cluster: first the cluster itself (the GPU worker joins with its label
// and taint, its kubelet advertises nvidia.com/gpu: 4 learned from
// labgrade's device plugin over the device-plugin gRPC API, the CPU worker
// has none, the plugin hands each pod devices of its own, and a fifth GPU
// is refused by the scheduler with the reason a learner reads); then, on
// the same cluster, labgrade lab test: the solution passes and every
// variant fails what it declares, graded one at a time (the lab is
// exclusive: the GPUs and the PriorityClass names are the cluster's).
func TestLabGPUScheduling(t *testing.T) {
	t.Parallel()
	// the weight of the part in a lane: the cluster and the solution
	release := lane(t, 120)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	step := stepper(t)
	dir := filepath.Join(repoRoot, "labs", "gpu-scheduling")
	l, err := lab.Load(dir)
	require.NoError(t, err)
	name := cluster.ClusterName(l.Name())
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", l.Name())
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, name)
	})
	s, err := runner.Open(ctx, runner.Options{Lab: l, Cluster: runner.NewCluster, NodeImage: nodeImage, KeepCluster: true})
	require.NoError(t, err)
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

	const ns = "ml-gpu"
	res := s.Grade(ctx, runner.Grading{Namespace: ns, Submission: filepath.Join(dir, "solution"), Name: "solution", Setup: runner.Fresh})
	require.Equal(t, result.Passed, res.Verdict, "%s %+v", res.EnvironmentError, res.Checks)
	step("solution graded")
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=trainer"})
	require.NoError(t, err)
	var devices []string
	var trainer *corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue // a worker preempted by the check
		}
		trainer = p.DeepCopy()
		assert.Equal(t, gpuNode, p.Spec.NodeName)
		var logs string
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			raw, err := c.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			logs = string(raw)
			return err == nil && strings.Contains(logs, "training on"), nil
		}), "the trainer logs its devices")
		_, after, _ := strings.Cut(logs, "training on 2 GPU(s): ")
		line, _, _ := strings.Cut(after, "\n")
		devices = append(devices, strings.Split(strings.TrimSpace(line), ",")...)
	}
	sort.Strings(devices)
	assert.Equal(t, []string{"gpu-0", "gpu-1", "gpu-2", "gpu-3"}, devices, "each running worker got two devices of its own")
	require.NotNil(t, trainer)

	// every GPU is taken: one more stays Pending, and the scheduler says why
	extra := trainer.DeepCopy()
	extra.ObjectMeta = metav1.ObjectMeta{Name: "one-more", Namespace: ns}
	extra.Spec.NodeName = ""
	extra.Spec.Containers[0].Resources.Limits[corev1.ResourceName("nvidia.com/gpu")] = resource.MustParse("1")
	extra.Spec.Containers[0].Resources.Requests[corev1.ResourceName("nvidia.com/gpu")] = resource.MustParse("1")
	_, err = c.CoreV1().Pods(ns).Create(ctx, extra, metav1.CreateOptions{})
	require.NoError(t, err)
	var why string
	require.NoError(t, wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, "one-more", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Message != "" {
				why = cond.Message
				return true, nil
			}
		}
		return false, nil
	}))
	assert.Contains(t, why, "Insufficient nvidia.com/gpu")
	t.Logf("    the scheduler: %s", why)
	step("a fifth GPU refused")
	// the GPUs and the PriorityClasses back for the lab test
	s.DropNamespace(ns)
	require.NoError(t, s.Close())

	// The lab test grades one case at a time, a few pods each, mostly
	// waiting on the scheduler and deadlines: it gives its lane to the
	// next test.
	release()
	proveLab(t, ctx, dir)
	step("lab test")
}
