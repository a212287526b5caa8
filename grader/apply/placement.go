package apply

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// controlPlaneKeys are the node labels and taints that mark a control-plane
// node (the second is the name before Kubernetes 1.24).
var controlPlaneKeys = []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"}

// podSpecPaths are where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PlacedBySchedulerOnly keeps the objects whose pods the scheduler places
// and refuses those that choose their node themselves. Pod Security
// admission (even restricted) allows all of these:
//   - nodeName skips the scheduler: the pod lands on the named node, the
//     control plane's included, whatever its taints and free resources;
//   - a toleration of the control plane's taint, or of every taint (an
//     Exists toleration without a key), lets pods onto the control-plane
//     node of a multi-node cluster, next to the API server and etcd;
//   - a nodeSelector or node affinity on the control plane's role label
//     asks for that node outright.
//
// Tolerations a lab's nodes call for (a gpu taint) stay allowed.
func PlacedBySchedulerOnly(objs []Object) (kept []Object, refused []Refusal) {
	for _, o := range objs {
		if why := placesItself(o.Unstructured); why != "" {
			refused = append(refused, Refusal{File: o.File, Line: o.Line, Object: o.Ref(), Why: why})
			continue
		}
		kept = append(kept, o)
	}
	return kept, refused
}

// placesItself says how a workload's pod spec picks its own node ("" when
// it does not).
func placesItself(u *unstructured.Unstructured) string {
	path, ok := podSpecPaths[u.GetKind()]
	if !ok {
		return ""
	}
	spec, found, _ := unstructured.NestedMap(u.Object, path...)
	if !found {
		return ""
	}
	at := strings.Join(path, ".")
	if n, _, _ := unstructured.NestedString(spec, "nodeName"); n != "" {
		return fmt.Sprintf("sets %s.nodeName %q: a submission's pods are placed by the scheduler, not pinned to a node", at, n)
	}
	tols, _, _ := unstructured.NestedSlice(spec, "tolerations")
	for i, t := range tols {
		m, _ := t.(map[string]any)
		key, _ := m["key"].(string)
		op, _ := m["operator"].(string)
		if key == "" && op == "Exists" {
			return fmt.Sprintf("%s.tolerations[%d] tolerates every taint, the control plane's included", at, i)
		}
		if isControlPlaneKey(key) {
			return fmt.Sprintf("%s.tolerations[%d] tolerates the control plane's taint %s", at, i, key)
		}
	}
	sel, _, _ := unstructured.NestedStringMap(spec, "nodeSelector")
	for k := range sel {
		if isControlPlaneKey(k) {
			return fmt.Sprintf("%s.nodeSelector asks for the control-plane node (%s)", at, k)
		}
	}
	terms, _, _ := unstructured.NestedSlice(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	prefs, _, _ := unstructured.NestedSlice(spec, "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
	for _, p := range prefs {
		if m, ok := p.(map[string]any); ok {
			terms = append(terms, m["preference"])
		}
	}
	for _, term := range terms {
		m, _ := term.(map[string]any)
		exprs, _ := m["matchExpressions"].([]any)
		for _, e := range exprs {
			em, _ := e.(map[string]any)
			key, _ := em["key"].(string)
			op, _ := em["operator"].(string)
			if isControlPlaneKey(key) && (op == "In" || op == "Exists") {
				return fmt.Sprintf("%s.affinity.nodeAffinity asks for the control-plane node (%s)", at, key)
			}
		}
	}
	return ""
}

func isControlPlaneKey(k string) bool { return slices.Contains(controlPlaneKeys, k) }
