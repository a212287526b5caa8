package diagnose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
}
