package diagnose

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/result"
)

func TestSummarize(t *testing.T) {
	dep := &unstructured.Unstructured{Object: map[string]any{
		"kind": "Deployment", "spec": map[string]any{"replicas": int64(2)}, "status": map[string]any{"readyReplicas": int64(1)},
	}}
	crash := &result.Diagnostics{Pods: []result.PodDiagnosis{{Name: "web-1", Containers: []result.ContainerDiagnosis{
		{Name: "web", State: "waiting: CrashLoopBackOff", Restarts: 4},
	}}}}
	assert.Equal(t, "pod web-1: container web waiting: CrashLoopBackOff, 4 restarts", summarize("Deployment", "web", dep, crash))

	events := &result.Diagnostics{Events: []string{"Deployment/web Warning DataDrift: feature x drifted"}}
	assert.Equal(t, "Deployment web: 1 of 2 replicas ready", summarize("Deployment", "web", dep, events),
		"a workload's own count before an unrelated event")

	svc := &unstructured.Unstructured{Object: map[string]any{"kind": "Service"}}
	assert.Equal(t, "Deployment/web Warning DataDrift: feature x drifted", summarize("Service", "web", svc, events))
	assert.Equal(t, "Service web does not exist", summarize("Service", "web", nil, &result.Diagnostics{}))

	unready := &result.Diagnostics{Pods: []result.PodDiagnosis{{Name: "web-2", Conditions: []string{"Ready=False ContainersNotReady"},
		Containers: []result.ContainerDiagnosis{{Name: "web", State: "running"}}}}}
	assert.Equal(t, "pod web-2: Ready=False ContainersNotReady", summarize("Deployment", "web", dep, unready))

	// no pod at all: the ReplicaSet's last refusal says why
	refused := &result.Diagnostics{Events: []string{
		"Deployment/web Normal ScalingReplicaSet: Scaled up replica set web-7f to 2",
		`ReplicaSet/web-7f Warning FailedCreate: Error creating: pods "web-7f-" is forbidden: error looking up service account lab/web: serviceaccount "web" not found (x14)`,
	}}
	assert.Equal(t, `Deployment web: 1 of 2 replicas ready; ReplicaSet/web-7f Warning FailedCreate: Error creating: pods "web-7f-" is forbidden: error looking up service account lab/web: serviceaccount "web" not found (x14)`,
		summarize("Deployment", "web", dep, refused))
	assert.Equal(t, "Deployment web: 1 of 2 replicas ready", summarize("Deployment", "web", dep, &result.Diagnostics{
		Pods: nil, Events: []string{"Deployment/web Warning FailedCreate: not from a ReplicaSet"}}), "only a ReplicaSet's refusal")
}

// A running container that is not ready says how long it has run, and its
// pod's last failed probe says why it is not ready.
func TestUnreadyContainer(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{
		StartedAt: metav1.NewTime(now.Add(-37*time.Second - 300*time.Millisecond))}}}
	assert.Equal(t, "running for 37s, not ready", state(running, now))
	running.Ready = true
	assert.Equal(t, "running", state(running, now))
	assert.Equal(t, "running, not ready", state(corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, now))

	dep := &unstructured.Unstructured{Object: map[string]any{"kind": "Deployment", "spec": map[string]any{"replicas": int64(1)}}}
	d := &result.Diagnostics{
		Pods: []result.PodDiagnosis{{Name: "web-1", Containers: []result.ContainerDiagnosis{{Name: "web", State: "running for 37s, not ready"}}}},
		Events: []string{
			"Pod/web-1 Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503",
			"Pod/web-0 Warning Unhealthy: Readiness probe failed: another pod",
			"Pod/web-1 Warning Unhealthy: Readiness probe failed: context deadline exceeded (x4)",
			"Pod/web-1 Normal Started: Started container web",
		},
	}
	assert.Equal(t, "pod web-1: container web running for 37s, not ready; Pod/web-1 Warning Unhealthy: Readiness probe failed: context deadline exceeded (x4)",
		summarize("Deployment", "web", dep, d))
	long := "Pod/web-1 Warning Unhealthy: Readiness probe failed: " + strings.Repeat("é", 400)
	d.Events = []string{long}
	got := summarize("Deployment", "web", dep, d)
	assert.True(t, utf8.ValidString(got))
	assert.LessOrEqual(t, len(got), len("pod web-1: container web running for 37s, not ready; ")+summaryEventLen, "a learner's probe output is cut")
	assert.True(t, strings.HasSuffix(got, "..."))
	d.Events = []string{"Pod/web-0 Warning Unhealthy: Readiness probe failed: another pod"}
	assert.Equal(t, "pod web-1: container web running for 37s, not ready", summarize("Deployment", "web", dep, d), "another pod's probe is not this one's")
}

// The CronJob controller's warning about the grader's own manual run is
// left out; the same warning about another Job is kept.
func TestRanByGrader(t *testing.T) {
	ev := func(kind, reason, msg string) corev1.Event {
		return corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: kind}, Reason: reason, Message: msg}
	}
	assert.True(t, ranByGrader(ev("CronJob", "UnexpectedJob", "Saw a job that the controller did not create or forgot: etl-labgrade-hshvd")))
	assert.False(t, ranByGrader(ev("CronJob", "UnexpectedJob", "Saw a job that the controller did not create or forgot: etl-manual")))
	assert.False(t, ranByGrader(ev("CronJob", "SawCompletedJob", "Saw completed job: etl-labgrade-hshvd")))
	assert.False(t, ranByGrader(ev("Job", "UnexpectedJob", "etl-labgrade-hshvd")))
}

func TestReplicaSetsOf(t *testing.T) {
	rs := func(name string, owner types.UID) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab",
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web", UID: owner}}}}
	}
	c := &cluster.Clients{Typed: fake.NewClientset(rs("web-b", "uid-web"), rs("web-a", "uid-web"), rs("old-web", "uid-earlier-web"))}
	assert.Equal(t, []string{"web-a", "web-b"}, replicaSetsOf(context.Background(), c, "lab", "uid-web"))
}
