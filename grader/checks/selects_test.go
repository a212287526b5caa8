package checks

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/traffic"
)

// servingNamespace holds Deployment model-server (pods app=model-server,
// through a ReplicaSet it controls) and two other pods labelled app=idle.
func servingNamespace(t *testing.T) Env {
	t.Helper()
	ctrl := true
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "model-server", Namespace: "ns", UID: "dep-uid"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "model-server", "tier": "serving"}}}}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "model-server-abc", Namespace: "ns", UID: "rs-uid",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "model-server", UID: "dep-uid", Controller: &ctrl}}}}
	pod := func(name, app string, owner types.UID) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": app, "tier": "serving"}}}
		if owner != "" {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "model-server-abc", UID: owner, Controller: &ctrl}}
		}
		return p
	}
	cs := fake.NewClientset(dep, rs,
		pod("model-server-abc-1", "model-server", "rs-uid"), pod("model-server-abc-2", "model-server", "rs-uid"),
		pod("idle-1", "idle", ""), pod("idle-2", "idle", ""))
	return Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "ns", LabNamespace: "ns"}
}

func budget(name string, selector map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
		"metadata": map[string]any{"name": name, "namespace": "ns"},
		"spec":     map[string]any{"selector": selector},
	}}
}

// TestSelecting: a decoy budget over other pods, or one over every pod,
// does not stand for the model server's; the right one is kept.
func TestSelecting(t *testing.T) {
	env := servingNamespace(t)
	ctx := context.Background()
	right := budget("model-server", map[string]any{"matchLabels": map[string]any{"app": "model-server"}})
	decoy := budget("decoy", map[string]any{"matchLabels": map[string]any{"app": "idle"}})
	everything := budget("all", map[string]any{})
	wide := budget("wide", map[string]any{"matchLabels": map[string]any{"tier": "serving"}})

	kept, err := selecting(ctx, env, []*unstructured.Unstructured{decoy, right}, "model-server")
	require.NoError(t, err)
	require.Len(t, kept, 1)
	assert.Equal(t, "model-server", kept[0].GetName())

	for _, bad := range []*unstructured.Unstructured{decoy, everything, wide} {
		_, err = selecting(ctx, env, []*unstructured.Unstructured{bad}, "model-server")
		var f *Failure
		require.True(t, errors.As(err, &f), "%s: %v", bad.GetName(), err)
		assert.Contains(t, err.Error(), "PodDisruptionBudget/"+bad.GetName())
	}
	_, err = selecting(ctx, env, []*unstructured.Unstructured{wide}, "model-server")
	assert.ErrorContains(t, err, "also selects pod idle-")
	_, err = selecting(ctx, env, []*unstructured.Unstructured{right}, "missing")
	assert.ErrorContains(t, err, "Deployment/missing not found")

	// a Service's selector is a plain map
	svc := &unstructured.Unstructured{Object: map[string]any{"kind": "Service", "metadata": map[string]any{"name": "s"},
		"spec": map[string]any{"selector": map[string]any{"app": "model-server"}}}}
	kept, err = selecting(ctx, env, []*unstructured.Unstructured{svc}, "model-server")
	require.NoError(t, err)
	assert.Len(t, kept, 1)
}

// TestFromGrader: a window made of the rows the grader sent passes, with a
// few strangers; a window the monitor made up does not.
func TestFromGrader(t *testing.T) {
	sent := traffic.Rows{Features: []string{"a", "b"}, Rows: [][]float64{{1, 10}, {2, 20}, {3, 30}, {1, 10}}}
	ok := map[string][]any{"a": {1.0, 2.0, 3.0, 1.0}, "b": {10.0, 20.0, 30.0, 10.0}}
	assert.NoError(t, fromGrader(ok, sent))
	assert.NoError(t, fromGrader(map[string][]any{"a": {1.0, 2.0, 99.0, 98.0}}, sent), "two strangers (other checks' requests) are allowed")
	made := map[string][]any{"a": {1.0, 1.0, 1.0, 7.0, 8.0}}
	err := fromGrader(made, sent)
	var f *Failure
	require.True(t, errors.As(err, &f), "%v", err)
	assert.ErrorContains(t, err, "3 values of feature a (of 5) that the grader never sent")
	// rows of two phases together
	assert.NoError(t, fromGrader(map[string][]any{"a": {5.0, 1.0}}, sent, traffic.Rows{Features: []string{"a"}, Rows: [][]float64{{5}}}))
}
