package apply

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func workload(t *testing.T, doc string) Object {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return Object{Unstructured: &unstructured.Unstructured{Object: m}, File: "x.yaml", Line: 1}
}

// TestPlacedBySchedulerOnly: a pod spec that picks its own node, the
// control plane's in particular, is refused wherever the kind keeps it;
// ordinary scheduling constraints and a lab's own taints stay allowed.
func TestPlacedBySchedulerOnly(t *testing.T) {
	refused := map[string]string{
		"nodeName": `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: kind-control-plane, containers: [{name: c, image: i}]}}`,
		"tolerations[0] tolerates the control plane's taint": `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]}}}}`,
		"tolerates every taint":                              `{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {jobTemplate: {spec: {template: {spec: {tolerations: [{operator: Exists}]}}}}}}`,
		"nodeSelector asks for the control-plane node":       `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {spec: {nodeSelector: {node-role.kubernetes.io/control-plane: ""}}}}}`,
		"affinity.nodeAffinity asks":                         `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: s}, spec: {template: {spec: {affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: [{key: node-role.kubernetes.io/master, operator: Exists}]}}]}}}}}}`,
	}
	for want, doc := range refused {
		kept, ref := PlacedBySchedulerOnly([]Object{workload(t, doc)})
		assert.Empty(t, kept, want)
		if assert.Len(t, ref, 1, want) {
			assert.Contains(t, ref[0].Why, want)
			assert.Equal(t, "x.yaml", ref[0].File)
		}
	}
	allowed := []string{
		`{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}], nodeSelector: {gpu: "true"}}}}}`,
		`{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}]}}}}}}}`,
		`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {nodeName: x}}`,
	}
	for _, doc := range allowed {
		kept, ref := PlacedBySchedulerOnly([]Object{workload(t, doc)})
		assert.Len(t, kept, 1, doc)
		assert.Empty(t, ref, doc)
	}
}
