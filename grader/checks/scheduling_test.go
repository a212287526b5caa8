package checks

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The gpu-scheduling layout: a tainted control plane, a tainted GPU
// worker offering 4 GPUs, a CPU worker.
func gpuLayout() []corev1.Node {
	node := func(name string, l map[string]string, gpus int64, taints ...corev1.Taint) corev1.Node {
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: corev1.NodeSpec{Taints: taints}}
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		if gpus > 0 {
			n.Status.Allocatable["nvidia.com/gpu"] = *resource.NewQuantity(gpus, resource.DecimalSI)
		}
		return n
	}
	return []corev1.Node{
		node("cp", map[string]string{"node-role.kubernetes.io/control-plane": ""}, 0,
			corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}),
		node("gpu", map[string]string{"labgrade.dev/gpu": "true"}, 4,
			corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}),
		node("cpu", map[string]string{"labgrade.dev/pool": "cpu"}, 0),
	}
}

func gpuToleration() corev1.Toleration {
	return corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
}

func schedPod(name, node string, phase corev1.PodPhase, tol []corev1.Toleration, gpus int64, affinity *corev1.Affinity) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node, Tolerations: tol, Affinity: affinity,
		Containers: []corev1.Container{{Name: "c"}}}}
	if gpus > 0 {
		q := *resource.NewQuantity(gpus, resource.DecimalSI)
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{"nvidia.com/gpu": q}, Limits: corev1.ResourceList{"nvidia.com/gpu": q}}
	}
	p.Status.Phase = phase
	return p
}

func offGPU() *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "labgrade.dev/gpu", Operator: corev1.NodeSelectorOpDoesNotExist}}}},
	}}}
}

func onGPU() *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "labgrade.dev/gpu", Operator: corev1.NodeSelectorOpIn, Values: []string{"true"}}}}},
	}}}
}

func TestPlacement(t *testing.T) {
	nodes := gpuLayout()
	gpuNodes, err := labels.Parse("labgrade.dev/gpu=true")
	require.NoError(t, err)
	cpuNodes, err := labels.Parse("!labgrade.dev/gpu")
	require.NoError(t, err)
	tol := []corev1.Toleration{gpuToleration()}

	// a GPU job that tolerates the taint and asks for GPUs is confined by
	// its request: only the GPU node offers them
	ev, err := placement([]*corev1.Pod{schedPod("t1", "gpu", corev1.PodRunning, tol, 2, nil), schedPod("t2", "gpu", corev1.PodRunning, tol, 2, nil)},
		nodes, gpuNodes, 2, "trainer pods", "labgrade.dev/gpu=true")
	require.NoError(t, err)
	assert.Contains(t, ev, "2 trainer pods running (2 on gpu)")

	// one pending: not yet, with the scheduler's reason
	pending := schedPod("t2", "", corev1.PodPending, nil, 2, nil)
	pending.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available: 1 node(s) had untolerated taint(s)"}}
	_, err = placement([]*corev1.Pod{schedPod("t1", "gpu", corev1.PodRunning, tol, 2, nil), pending}, nodes, gpuNodes, 2, "trainer pods", "labgrade.dev/gpu=true")
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.False(t, errors.As(err, new(final)), "a waiting pod may yet be placed")
	assert.Contains(t, err.Error(), "running: 1 of 2 trainer pods expected; pod t2 waits: not scheduled: 0/3 nodes are available: 1 node(s) had untolerated taint(s)")

	// two running decoys with the labels do not hide a pod that waits
	_, err = placement([]*corev1.Pod{schedPod("t1", "gpu", corev1.PodRunning, tol, 2, nil), schedPod("decoy", "gpu", corev1.PodRunning, tol, 0, onGPU()), pending},
		nodes, gpuNodes, 2, "trainer pods", "labgrade.dev/gpu=true")
	require.ErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "running: 2 of 2 trainer pods expected; pod t2 waits")

	// inference kept off the GPU node by its affinity: fine, on the CPU node
	ev, err = placement([]*corev1.Pod{schedPod("i1", "cpu", corev1.PodRunning, tol, 0, offGPU())}, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	require.NoError(t, err)
	assert.Contains(t, ev, "1 inference pod running (1 on cpu)")

	// tolerating the GPU taint without affinity: it ran on the CPU node by
	// luck, the GPU node admits it; final
	_, err = placement([]*corev1.Pod{schedPod("i1", "cpu", corev1.PodRunning, tol, 0, nil)}, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	require.ErrorAs(t, err, new(final))
	assert.Contains(t, err.Error(), "pod i1 could be placed on node gpu (labels labgrade.dev/gpu=true)")

	// and one that landed there
	_, err = placement([]*corev1.Pod{schedPod("i2", "gpu", corev1.PodRunning, tol, 0, nil)}, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	require.ErrorAs(t, err, new(final))
	assert.Contains(t, err.Error(), "pod i2 runs on node gpu (labels labgrade.dev/gpu=true), which is not one of the nodes !labgrade.dev/gpu")

	// no toleration at all: the taint keeps it off; the control plane's
	// taint keeps every pod off it
	ev, err = placement([]*corev1.Pod{schedPod("i3", "cpu", corev1.PodRunning, nil, 0, nil)}, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	require.NoError(t, err, ev)

	// ended and deleting pods do not count
	gone := schedPod("i4", "gpu", corev1.PodRunning, tol, 0, nil)
	gone.DeletionTimestamp = &metav1.Time{}
	_, err = placement([]*corev1.Pod{gone, schedPod("i5", "gpu", corev1.PodSucceeded, tol, 0, nil)}, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	require.ErrorAs(t, err, &f)
	assert.False(t, errors.As(err, new(final)))
	assert.Contains(t, err.Error(), "running: 0 of 1 inference pod expected")

	_, err = placement(nil, nodes, cpuNodes, 1, "inference pods", "!labgrade.dev/gpu")
	assert.ErrorContains(t, err, "no inference pods exist (expected 1 running)")
}

func TestPreemptedByScheduler(t *testing.T) {
	p := &corev1.Pod{}
	assert.False(t, preemptedByScheduler(p))
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI"}}
	assert.False(t, preemptedByScheduler(p), "an eviction is not a preemption")
	p.Status.Conditions[0].Reason = corev1.PodReasonPreemptionByScheduler
	assert.True(t, preemptedByScheduler(p))
}
