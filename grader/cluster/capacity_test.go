package cluster

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestFreeCPU(t *testing.T) {
	node := func(name, cpu string, mod func(*corev1.Node)) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}
		if mod != nil {
			mod(n)
		}
		return n
	}
	cpu := func(q string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}}
	}
	pod := func(name, node string, phase corev1.PodPhase, init string, cs ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
		if init != "" {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: cpu(init)}}
		}
		for _, q := range cs {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c" + q, Resources: cpu(q)})
		}
		return p
	}
	cs := fake.NewClientset(
		node("a", "2", nil),
		node("b", "4", func(n *corev1.Node) { n.Spec.Unschedulable = true }),
		node("gpu", "8", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "gpu", Effect: corev1.TaintEffectNoSchedule}}
		}),
		node("soft", "1", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "spot", Effect: corev1.TaintEffectPreferNoSchedule}}
		}),
		pod("system", "a", corev1.PodRunning, "", "250m", "600m"), // 850m
		pod("init-heavy", "a", corev1.PodRunning, "300m", "100m"), // the init container's 300m
		pod("done", "a", corev1.PodSucceeded, "", "500m"),
		pod("pending", "", corev1.PodPending, "", "500m"),
		pod("cordoned", "b", corev1.PodRunning, "", "1"),
		pod("full", "soft", corev1.PodRunning, "", "1500m"), // asks more than the node has: 0 left, not -500m
	)
	free, err := (&Clients{Typed: cs}).FreeCPU(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2000-850-300), free)
}
