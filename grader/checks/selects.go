package checks

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// selecting keeps the objects whose spec.selector selects the pods of the
// named Deployment and no other pod of the namespace; a Failure says why
// none does. A learner may write any object of the kind, so "a budget"
// is not "the model server's budget": a decoy over two idle pods has
// the status fields a check reads (expectedPods, disruptionsAllowed).
func selecting(ctx context.Context, env Env, objs []*unstructured.Unstructured, deployment string) ([]*unstructured.Unstructured, error) {
	d, err := env.Clients.Typed.AppsV1().Deployments(env.Namespace).Get(ctx, deployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, Failf("Deployment/%s not found: nothing can select its pods", deployment)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Deployment/%s: %v", deployment, err)
	}
	pods, err := env.Clients.Typed.CoreV1().Pods(env.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %v", err)
	}
	rsOwner, err := replicaSetOwners(ctx, env)
	if err != nil {
		return nil, err
	}
	var kept []*unstructured.Unstructured
	var why []string
	for _, o := range objs {
		if reason := selectsOnly(o, d, pods.Items, rsOwner); reason != "" {
			why = append(why, fmt.Sprintf("%s/%s %s", o.GetKind(), o.GetName(), reason))
			continue
		}
		kept = append(kept, o)
	}
	if len(kept) == 0 {
		return nil, Failf("no %s selects the pods of Deployment/%s and only them: %s", objs[0].GetKind(), deployment, strings.Join(why, "; "))
	}
	return kept, nil
}

// replicaSetOwners maps each ReplicaSet's UID to the UID of the
// Deployment that controls it.
func replicaSetOwners(ctx context.Context, env Env) (map[string]string, error) {
	rss, err := env.Clients.Typed.AppsV1().ReplicaSets(env.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing ReplicaSets: %v", err)
	}
	out := map[string]string{}
	for _, rs := range rss.Items {
		if c := metav1.GetControllerOf(&rs); c != nil && c.Kind == "Deployment" {
			out[string(rs.UID)] = string(c.UID)
		}
	}
	return out, nil
}

// selectsOnly says why o's spec.selector does not select d's pods and
// only them ("" when it does). d's pod template must match, and every
// running pod the selector picks must be one d controls (through a
// ReplicaSet).
func selectsOnly(o *unstructured.Unstructured, d *appsv1.Deployment, pods []corev1.Pod, rsOwner map[string]string) string {
	sel, err := selectorOf(o)
	if err != nil {
		return err.Error()
	}
	if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		return fmt.Sprintf("selects %s, which the pods of Deployment/%s do not match", describeSelector(sel), d.Name)
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		c := metav1.GetControllerOf(&p)
		if c == nil || c.Kind != "ReplicaSet" || rsOwner[string(c.UID)] != string(d.UID) {
			return fmt.Sprintf("also selects pod %s, which is not one of Deployment/%s's", p.Name, d.Name)
		}
	}
	return ""
}

// selectorOf reads spec.selector as a label selector, or as a plain map of
// labels (a Service's).
func selectorOf(o *unstructured.Unstructured) (labels.Selector, error) {
	raw, found, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "selector")
	if !found || raw == nil {
		return nil, fmt.Errorf("has no spec.selector")
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("has a spec.selector that is not a mapping")
	}
	_, hasML := m["matchLabels"]
	_, hasME := m["matchExpressions"]
	if !hasML && !hasME {
		plain := map[string]string{}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("has a spec.selector whose %s is not a string", k)
			}
			plain[k] = s
		}
		if len(plain) == 0 {
			return nil, fmt.Errorf("has an empty spec.selector")
		}
		return labels.SelectorFromSet(plain), nil
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls); err != nil {
		return nil, fmt.Errorf("has a spec.selector that cannot be read: %v", err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, fmt.Errorf("has an invalid spec.selector: %v", err)
	}
	return sel, nil
}

func describeSelector(s labels.Selector) string {
	if s.Empty() {
		return "every pod"
	}
	return s.String()
}
