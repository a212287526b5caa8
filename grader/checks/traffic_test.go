package checks

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/labgrade/labgrade/grader/cluster"
)

// A load generator that did not start says how its pod stands: CI once
// showed only "did not start sending in 60s", and the cause (the node
// full of requests) had to be found by hand.
func TestLoadgenWhy(t *testing.T) {
	pod := func(status corev1.PodStatus) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "labgrade-loadgen-x", Namespace: GraderNamespace}, Status: status}
	}
	why := func(p *corev1.Pod, asked error) string {
		cs := fake.NewClientset()
		if p != nil {
			_, err := cs.CoreV1().Pods(GraderNamespace).Create(context.Background(), p, metav1.CreateOptions{})
			assert.NoError(t, err)
		}
		lg := &loadgen{env: Env{Clients: &cluster.Clients{Typed: cs}}, ns: GraderNamespace, name: "labgrade-loadgen-x"}
		return lg.why(asked)
	}
	assert.Equal(t, "not scheduled: 0/1 nodes are available: 1 Insufficient cpu.", why(pod(corev1.PodStatus{Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available: 1 Insufficient cpu."}}}), nil))
	assert.Equal(t, "container loadgen waiting: ErrImageNeverPull image not present", why(pod(corev1.PodStatus{Phase: corev1.PodPending,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "loadgen", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: "image not present"}}}}}), nil))
	assert.Equal(t, "pod running; its summary did not answer: no endpoints", why(pod(corev1.PodStatus{Phase: corev1.PodRunning}), errors.New("no endpoints")))
	assert.Equal(t, "pod pending", why(pod(corev1.PodStatus{Phase: corev1.PodPending}), nil))
	assert.Contains(t, why(nil, nil), "reading the pod: ")
}
