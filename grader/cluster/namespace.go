package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
)

// ResetNamespace empties the namespace so a reused cluster grades exactly
// like a new one: every object of every namespaced kind the API server
// serves is deleted (pods without grace period: nothing of the last run
// needs a graceful end), the namespace's own labels and annotations are
// cleared, and it waits until the namespace holds nothing but what
// Kubernetes itself puts there. Emptying it in place, rather than deleting
// and recreating it, avoids the namespace controller's requeue delays
// (about 10 s per reset). Objects outside the namespace are left alone.
func (c *Clients) ResetNamespace(ctx context.Context, name string, timeout time.Duration) error {
	ns, err := c.Typed.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return c.EnsureNamespace(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", name, err)
	}
	if ns.DeletionTimestamp != nil { // a deletion is under way: let it finish
		if err := c.waitGone(ctx, name, timeout); err != nil {
			return err
		}
		return c.EnsureNamespace(ctx, name)
	}
	if err := c.clearNamespaceMeta(ctx, ns); err != nil {
		return err
	}
	kinds, err := namespacedKinds(c.Typed.Discovery())
	if err != nil {
		return fmt.Errorf("listing the API's kinds: %w", err)
	}
	// Pods last: deleted before their ReplicaSets, they would be recreated
	// and then removed by the garbage collector with their full grace period.
	podsGVR := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	kinds = slices.DeleteFunc(kinds, func(g schema.GroupVersionResource) bool { return g == podsGVR })
	for _, gvr := range append(kinds, podsGVR) {
		if err := c.deleteAllOf(ctx, name, gvr); err != nil {
			return err
		}
	}
	kinds = append(kinds, podsGVR)
	var left []string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		left = left[:0]
		for _, gvr := range kinds {
			list, err := c.Dynamic.Resource(gvr).Namespace(name).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for _, it := range list.Items {
				if !keptByKubernetes(gvr, it.GetName()) {
					left = append(left, gvr.Resource+"/"+it.GetName())
					c.releaseFinalizers(ctx, gvr, name, it.GetName(), it.GetDeletionTimestamp() != nil, it.GetFinalizers())
				}
			}
		}
		if len(left) > 0 { // pods the garbage collector is ending gracefully
			_ = c.deleteAllOf(ctx, name, podsGVR)
		}
		return len(left) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s still holds %s after %s (a finalizer left by the last run?)", name, strings.Join(left[:min(len(left), 5)], ", "), timeout)
	}
	return c.EnsureNamespace(ctx, name)
}

// deleteAllOf deletes every object of one kind in the namespace, except
// Kubernetes' own (pods need kube-root-ca.crt and the default service
// account the moment they are created); pods without grace period.
func (c *Clients) deleteAllOf(ctx context.Context, ns string, gvr schema.GroupVersionResource) error {
	opts := metav1.DeleteOptions{}
	list := metav1.ListOptions{}
	switch {
	case gvr.Group == "" && gvr.Resource == "pods":
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	case gvr.Group == "" && gvr.Resource == "configmaps":
		list.FieldSelector = "metadata.name!=kube-root-ca.crt"
	case gvr.Group == "" && gvr.Resource == "serviceaccounts":
		list.FieldSelector = "metadata.name!=default"
	}
	err := c.Dynamic.Resource(gvr).Namespace(ns).DeleteCollection(ctx, opts, list)
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
		return fmt.Errorf("emptying namespace %s (%s): %w", ns, gvr.Resource, err)
	}
	return nil
}

// releaseFinalizers clears the finalizers of an object that is being
// deleted from a grading namespace. A submission may put any finalizer on
// its objects, one that no controller will ever remove; left alone it
// would keep the namespace from emptying, and every later grading on the
// cluster would fail. Nothing a grading made needs its finalizers run:
// the namespace goes whole.
func (c *Clients) releaseFinalizers(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, deleting bool, finalizers []string) {
	if !deleting || len(finalizers) == 0 {
		return
	}
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	_, _ = c.Dynamic.Resource(gvr).Namespace(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
}

// keptByKubernetes are objects controllers create in every namespace; they
// come back at once when deleted, so they do not count as leftovers.
func keptByKubernetes(gvr schema.GroupVersionResource, name string) bool {
	switch {
	case gvr.Group == "" && gvr.Resource == "serviceaccounts" && name == "default",
		gvr.Group == "" && gvr.Resource == "configmaps" && name == "kube-root-ca.crt",
		gvr.Group == "" && gvr.Resource == "events",
		gvr.Group == "events.k8s.io":
		return true
	}
	return false
}

// namespacedKinds lists the namespaced resources that can be listed and
// deleted by collection, one version each.
func namespacedKinds(d discovery.DiscoveryInterface) ([]schema.GroupVersionResource, error) {
	lists, err := d.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, err
	}
	var out []schema.GroupVersionResource
	for _, l := range lists {
		gv, perr := schema.ParseGroupVersion(l.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "deletecollection") {
				continue
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, nil
}

// clearNamespaceMeta removes labels and annotations a submission may have
// put on the namespace (pod security levels, say), keeping the ones
// Kubernetes sets.
func (c *Clients) clearNamespaceMeta(ctx context.Context, ns *corev1.Namespace) error {
	patch := map[string]any{}
	labels := map[string]any{}
	for k := range ns.Labels {
		if k != corev1.LabelMetadataName {
			labels[k] = nil
		}
	}
	annotations := map[string]any{}
	for k := range ns.Annotations {
		annotations[k] = nil
	}
	if len(labels) == 0 && len(annotations) == 0 {
		return nil
	}
	patch["metadata"] = map[string]any{"labels": labels, "annotations": annotations}
	body, _ := json.Marshal(patch)
	_, err := c.Typed.CoreV1().Namespaces().Patch(ctx, ns.Name, types.MergePatchType, body, metav1.PatchOptions{})
	return err
}

func (c *Clients) waitGone(ctx context.Context, name string, timeout time.Duration) error {
	kinds, _ := namespacedKinds(c.Typed.Discovery())
	polls := 0
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := c.Typed.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		// listing every kind is dozens of requests: every 3 s is enough
		// to free a namespace that a finalizer holds
		if polls++; polls%10 != 1 {
			return false, nil
		}
		// the namespace controller waits for every object in it; one
		// held by a finalizer nobody serves would hold it for ever
		for _, gvr := range kinds {
			list, err := c.Dynamic.Resource(gvr).Namespace(name).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for _, it := range list.Items {
				c.releaseFinalizers(ctx, gvr, name, it.GetName(), it.GetDeletionTimestamp() != nil, it.GetFinalizers())
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s was not gone after %s (a finalizer left by the last run?)", name, timeout)
	}
	return nil
}

// EnsureNamespace creates the namespace unless it exists.
func (c *Clients) EnsureNamespace(ctx context.Context, name string) error {
	_, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	// The service account controller adds "default" shortly after; pods
	// created before that are refused, so wait for it.
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.Typed.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}
