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
	"github.com/labgrade/labgrade/grader/traffic"
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

func TestLoadgenCPU(t *testing.T) {
	for rate, want := range map[int]string{1: "10m", 20: "20m", 100: "100m", 2000: "500m"} {
		q := loadgenCPU(rate)
		assert.Equal(t, want, q.String(), "rate %d", rate)
	}
}

// A load generator that kept its rate is judged by its requests; one that
// sent under half of them was starved and its traffic measures nothing.
func TestKeptRate(t *testing.T) {
	cases := []struct {
		name    string
		s       traffic.Summary
		starved bool
	}{
		{"kept its rate (the last 15 s may go to answers)", traffic.Summary{Sent: 1100, DurationSeconds: 25}, false},
		{"slow answers do not lower the count", traffic.Summary{Sent: 1000, Failed: 900, DurationSeconds: 15}, false},
		{"starved: 197 of 100/s in 25 s", traffic.Summary{Sent: 197, DurationSeconds: 25}, true},
		{"too short to judge a rate", traffic.Summary{Sent: 0, DurationSeconds: 15.5}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := keptRate(c.s, 100)
			if c.starved {
				assert.ErrorContains(t, err, "under half of its 100 a second")
			} else {
				assert.NoError(t, err)
			}
		})
	}
}
