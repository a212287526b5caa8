package runner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kfake "k8s.io/client-go/kubernetes/fake"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

// The informers here list by streaming (client-go's WatchListClient
// feature), which a real API server serves and the fake clientset does
// not: the tests turn it off.

func daemonSet(desired, ready int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "labgrade-netpol", Namespace: "kube-system", Generation: 1},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: desired,
			UpdatedNumberScheduled: desired, NumberReady: ready},
	}
}

// An addon's DaemonSet is awaited until every pod it wants is ready, by
// watching it: the moment its status says so, the wait ends.
func TestAwaitWorkloadReady(t *testing.T) {
	t.Setenv("KUBE_FEATURE_WatchListClient", "false")
	cs := kfake.NewClientset(daemonSet(1, 0))
	s := &Session{clients: &cluster.Clients{Typed: cs}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.awaitWorkload(ctx, "DaemonSet", "kube-system", "labgrade-netpol") }()
	select {
	case err := <-done:
		t.Fatalf("returned before the pod was ready: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	_, err := cs.AppsV1().DaemonSets("kube-system").UpdateStatus(ctx, daemonSet(1, 1), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)
}

// One that never gets ready ends with the deadline, saying how far it got.
func TestAwaitWorkloadNeverReady(t *testing.T) {
	t.Setenv("KUBE_FEATURE_WatchListClient", "false")
	s := &Session{clients: &cluster.Clients{Typed: kfake.NewClientset(daemonSet(2, 1))}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.awaitWorkload(ctx, "DaemonSet", "kube-system", "labgrade-netpol")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 2 pods ready")
}

// A device plugin's resource is awaited until a node's allocatable holds it.
func TestAwaitAdvertised(t *testing.T) {
	t.Setenv("KUBE_FEATURE_WatchListClient", "false")
	gpu := corev1.ResourceName("nvidia.com/gpu")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gpu-worker"}}
	cs := kfake.NewClientset(node)
	s := &Session{clients: &cluster.Clients{Typed: cs}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	assert.Error(t, s.awaitAdvertised(ctx, gpu), "no node offers it yet")

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.awaitAdvertised(ctx, gpu) }()
	node.Status.Allocatable = corev1.ResourceList{gpu: resource.MustParse("4")}
	_, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)
}

// A layout's workers are awaited until every node is Ready.
func TestAwaitNodesReady(t *testing.T) {
	t.Setenv("KUBE_FEATURE_WatchListClient", "false")
	node := func(name string, ready corev1.ConditionStatus) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
	}
	cs := kfake.NewClientset(node("cp", corev1.ConditionTrue), node("gpu", corev1.ConditionFalse))
	l := testLab()
	l.Spec.Cluster.Nodes = []spec.Node{{Role: "control-plane"}, {Role: "worker"}}
	s := &Session{opts: Options{Lab: l}, clients: &cluster.Clients{Typed: cs}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.awaitNodesReady(ctx)
	require.Error(t, err, "a worker is NotReady")
	assert.Contains(t, err.Error(), "the cluster's 2 nodes were not all Ready")

	done := make(chan error, 1)
	go func() { done <- s.awaitNodesReady(context.Background()) }()
	_, err = cs.CoreV1().Nodes().UpdateStatus(context.Background(), node("gpu", corev1.ConditionTrue), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)
}
