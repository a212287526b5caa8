package checks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/labgrade/labgrade/grader/spec"
)

// watchUntil evaluates eval on the targeted objects each time the API
// server reports a change, until eval returns nil or ctx ends; then it
// returns eval's last error, why the objects are not as expected. Driving it
// by a watch (an informer) rather than a sleep loop means a check passes the
// moment the state is right and costs nothing while it waits.
func watchUntil(ctx context.Context, env Env, t spec.Target, eval func([]*unstructured.Unstructured) error) error {
	gvr, namespaced, err := resourceFor(env, t)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return Failf("the cluster does not serve %s %s (is its CRD installed?)", t.APIVersion, t.Kind)
		}
		return fmt.Errorf("looking up %s %s: %v", t.APIVersion, t.Kind, err)
	}
	ns := ""
	if namespaced {
		ns = env.ns(t.Namespace)
	}
	tweak := func(o *metav1.ListOptions) {
		if t.Name != "" {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", t.Name).String()
		}
		if t.Selector != "" {
			o.LabelSelector = t.Selector
		}
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(env.Clients.Dynamic, gvr, ns, 0, cache.Indexers{}, tweak).Informer()
	changed, err := onChange(inf)
	if err != nil {
		return fmt.Errorf("watching %s: %v", gvr.Resource, err)
	}
	var (
		mu       sync.Mutex
		watchErr error
	)
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		mu.Lock()
		watchErr = err
		mu.Unlock()
	})
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)
	// the first list may come after the check's time: eval then judges
	// what it brought
	if !firstListed(ctx, inf) {
		mu.Lock()
		defer mu.Unlock()
		if watchErr != nil {
			return fmt.Errorf("cannot list %s in %s: %v", gvr.Resource, nsName(ns), watchErr)
		}
		return fmt.Errorf("listing %s in %s did not finish in time", gvr.Resource, nsName(ns))
	}
	for {
		why := eval(snapshot(inf.GetStore()))
		if why == nil {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return errInterrupted
			}
			return why
		}
	}
}

// firstListed waits for each informer's first list in firstAnswer's time
// (the check's own, but at least firstAnswerWait) and says whether all
// came: a watch-driven check judges the learner's objects once it has
// seen them, however slowly the API server answered. WaitFor is told
// when a list is in, where WaitForCacheSync polls every 100 ms: a tenth
// of a second on every quick grade.
func firstListed(ctx context.Context, infs ...cache.SharedInformer) bool {
	first, cancel := firstAnswer(ctx)
	defer cancel()
	for _, inf := range infs {
		if !cache.WaitFor(first, "", inf.HasSyncedChecker()) {
			return false
		}
	}
	return true
}

// onChange returns a channel that receives (without blocking the informer)
// whenever the informer sees an object added, updated or deleted. Every
// watch-driven wait in this package re-evaluates on it.
func onChange(inf cache.SharedIndexInformer) (<-chan struct{}, error) {
	changed := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poke, DeleteFunc: poke, UpdateFunc: func(_, n any) { poke(n) },
	})
	return changed, err
}

// snapshot copies the store's objects, sorted by name, without
// managedFields (noise in messages and in CEL).
func snapshot(store cache.Store) []*unstructured.Unstructured {
	items := store.List()
	out := make([]*unstructured.Unstructured, 0, len(items))
	for _, it := range items {
		u, ok := it.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		u = u.DeepCopy()
		unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

func resourceFor(env Env, t spec.Target) (schema.GroupVersionResource, bool, error) {
	gv, err := schema.ParseGroupVersion(t.APIVersion)
	if err != nil {
		return schema.GroupVersionResource{}, false, err
	}
	m, err := env.Clients.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: t.Kind}, gv.Version)
	if meta.IsNoMatchError(err) {
		env.Clients.Mapper.Reset()
		m, err = env.Clients.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: t.Kind}, gv.Version)
	}
	if err != nil {
		return schema.GroupVersionResource{}, false, err
	}
	return m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

func nsName(ns string) string {
	if ns == "" {
		return "the cluster"
	}
	return "namespace " + ns
}

// describeTarget names what a check looked for, for "not found" messages.
func describeTarget(t spec.Target) string {
	switch {
	case t.Name != "":
		return fmt.Sprintf("%s/%s", t.Kind, t.Name)
	case t.Selector != "":
		return fmt.Sprintf("%s objects with labels %s", t.Kind, t.Selector)
	}
	return t.Kind + " objects"
}
