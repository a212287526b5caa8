package checks

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/labgrade/labgrade/grader/cluster"
)

func servingPod(name string, ready bool) *corev1.Pod {
	status := corev1.ConditionTrue
	reason := ""
	if !ready {
		status, reason = corev1.ConditionFalse, "ContainersNotReady"
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab", UID: types.UID("uid-" + name)},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
			Type: corev1.PodReady, Status: status, Reason: reason, LastTransitionTime: metav1.Now(),
		}}},
	}
}

func endpointOf(pod *corev1.Pod, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{"10.0.0.1"},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: pod.Name, UID: pod.UID},
	}
}

func serviceSlice(eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "svc-abc", Namespace: "lab", Labels: map[string]string{
			discoveryv1.LabelServiceName: "svc", discoveryv1.LabelManagedBy: managedByController,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   eps,
	}
}

// The lowest count comes with what each endpoint was at that moment: the
// pod being deleted and the one not ready yet, so that a rollout's failure
// says which pod was missing and why.
func TestEndpointWatchSaysWhyTheCountFell(t *testing.T) {
	a, b, c := servingPod("a", true), servingPod("b", true), servingPod("c", false)
	cs := fake.NewClientset(a, b, c, serviceSlice(endpointOf(a, true), endpointOf(b, true)))
	env := Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	ctx := context.Background()
	w := watchReadyEndpoints(ctx, env, "svc")
	defer w.close()
	require.Equal(t, 2, w.current())
	start := time.Now()
	w.from(start)

	// a is being deleted before c is ready: one ready endpoint left
	gone := metav1.Now()
	a.DeletionTimestamp = &gone
	_, err := cs.CoreV1().Pods("lab").Update(ctx, a, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		obj, ok, _ := w.pods.GetStore().GetByKey("lab/a")
		return ok && obj.(*corev1.Pod).DeletionTimestamp != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err = cs.DiscoveryV1().EndpointSlices("lab").Update(ctx, serviceSlice(endpointOf(a, false), endpointOf(b, true), endpointOf(c, false)), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.lowest() == 1 }, 5*time.Second, 10*time.Millisecond)

	at, saw := w.lowestSeen()
	assert.GreaterOrEqual(t, at, time.Duration(0))
	assert.Less(t, at, 5*time.Second)
	assert.Contains(t, saw, "a being deleted")
	assert.Contains(t, saw, "b ready")
	assert.Regexp(t, `c not ready \(ContainersNotReady\) since [-+]\d+\.\ds`, saw)

	// c becomes ready: the count rises, the lowest and its account stay
	_, err = cs.DiscoveryV1().EndpointSlices("lab").Update(ctx, serviceSlice(endpointOf(a, false), endpointOf(b, true), endpointOf(c, true)), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.current() == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, w.lowest())
	_, again := w.lowestSeen()
	assert.Equal(t, saw, again)
}

// A slice the learner writes can name a pod that does not exist: it never
// counts, and the account says so.
func TestEndpointStateOfAForgedEndpoint(t *testing.T) {
	assert.Equal(t, "not a pod of the namespace", endpointState(true, nil, false, time.Now()))
	assert.Equal(t, "no endpoints", describeEndpoints(nil))
	assert.Equal(t, "a ready, b being deleted", describeEndpoints(map[string]string{"b": "being deleted", "a": "ready"}))
	many := map[string]string{}
	for i := range 1000 {
		many[fmt.Sprintf("p%04d", i)] = "not a pod of the namespace"
	}
	assert.Equal(t, strings.Repeat("x", maxDescribed)+"and 992 more", regexp.MustCompile(`p\d{4} not a pod of the namespace, `).ReplaceAllString(describeEndpoints(many), "x"))
}

// watchTwoReadyPods serves a Service with two ready pods, a and b, and
// watches its endpoints until the test ends.
func watchTwoReadyPods(t *testing.T) (*fake.Clientset, *endpointWatch, *corev1.Pod, *corev1.Pod) {
	t.Helper()
	a, b := servingPod("a", true), servingPod("b", true)
	cs := fake.NewClientset(a, b, serviceSlice(endpointOf(a, true), endpointOf(b, true)))
	w := watchReadyEndpoints(context.Background(), Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}, "svc")
	t.Cleanup(w.close)
	return cs, w, a, b
}

// A pod whose readiness probe fails after it was ready (a probe timing out
// on a busy node) is not taken away: it stays among the endpoints kept,
// and is named; the ready count drops, for those who need it (a probe that
// expects a Service to be unserved).
func TestEndpointWatchKeepsAPodWhoseReadinessFailed(t *testing.T) {
	ctx := context.Background()
	cs, w, a, b := watchTwoReadyPods(t)
	require.Equal(t, 2, w.current())
	w.from(time.Now())

	b.Status.Conditions[0].Status, b.Status.Conditions[0].Reason = corev1.ConditionFalse, "ContainersNotReady"
	_, err := cs.CoreV1().Pods("lab").Update(ctx, b, metav1.UpdateOptions{})
	require.NoError(t, err)
	_, err = cs.DiscoveryV1().EndpointSlices("lab").Update(ctx, serviceSlice(endpointOf(a, true), endpointOf(b, false)), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.current() == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 2, w.lowest(), "a failed probe takes no pod away")
	assert.Equal(t, []string{"b"}, w.flaps())

	// a is then deleted: only b, not ready but kept, is left
	gone := metav1.Now()
	a.DeletionTimestamp = &gone
	_, err = cs.CoreV1().Pods("lab").Update(ctx, a, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		obj, ok, _ := w.pods.GetStore().GetByKey("lab/a")
		return ok && obj.(*corev1.Pod).DeletionTimestamp != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err = cs.DiscoveryV1().EndpointSlices("lab").Update(ctx, serviceSlice(endpointOf(a, false), endpointOf(b, false)), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.lowest() == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 0, w.current())
	_, saw := w.lowestSeen()
	assert.Contains(t, saw, "a being deleted")
	assert.Contains(t, saw, "b not ready (ContainersNotReady)")
	assert.Contains(t, saw, "after being ready: kept")
}

// A container that ended since the rollout began and was started again is
// named with when and how it ended; one that ended before is not.
func TestEndpointWatchNamesRestarts(t *testing.T) {
	ctx := context.Background()
	cs, w, a, b := watchTwoReadyPods(t)
	origin := time.Now()
	w.from(origin)
	assert.Empty(t, w.restartsSince())

	ended := func(p *corev1.Pod, at time.Time, reason string, code int32) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "server", RestartCount: 1,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				FinishedAt: metav1.NewTime(at), Reason: reason, ExitCode: code}}}}
		_, err := cs.CoreV1().Pods("lab").Update(ctx, p, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	ended(a, origin.Add(-time.Minute), "Error", 1) // before the rollout
	ended(b, origin.Add(12500*time.Millisecond), "Error", 2)
	require.Eventually(t, func() bool { return w.restartsSince() != "" }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "pod b container server ended at +12.5s (Error, exit 2) and restarted", w.restartsSince())
}
