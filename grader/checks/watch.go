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

// verdict is what one evaluation of the watched objects concluded.
type verdict struct {
	ok  bool
	msg string // why not, when !ok
}

// watchUntil evaluates eval on the targeted objects each time the API
// server reports a change, until eval is satisfied or ctx ends. Driving it by
// a watch (an informer) rather than a sleep loop means a check passes the
// moment the state is right and costs nothing while it waits.
func watchUntil(ctx context.Context, env Env, t spec.Target, eval func([]*unstructured.Unstructured) verdict) Outcome {
	gvr, namespaced, err := resourceFor(env, t)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return fail("the cluster does not serve %s %s (is its CRD installed?)", t.APIVersion, t.Kind)
		}
		return errored("looking up %s %s: %v", t.APIVersion, t.Kind, err)
	}
	ns := ""
	if namespaced {
		ns = t.Namespace
		if ns == "" {
			ns = env.Namespace
		}
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
		return errored("watching %s: %v", gvr.Resource, err)
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
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		mu.Lock()
		defer mu.Unlock()
		if watchErr != nil {
			return errored("cannot list %s in %s: %v", gvr.Resource, nsName(ns), watchErr)
		}
		return errored("listing %s in %s did not finish in time", gvr.Resource, nsName(ns))
	}
	last := verdict{msg: "not evaluated"}
	for {
		objs := snapshot(inf.GetStore())
		last = eval(objs)
		if last.ok {
			return pass()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return errored("interrupted")
			}
			return fail("%s", last.msg)
		}
	}
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
