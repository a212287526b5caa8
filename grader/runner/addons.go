package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	kwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/labgrade/labgrade/grader/apply"
)

// addonNamespace is where an addon's namespaced objects go when they name
// no namespace: what a cluster runs for itself lives in kube-system.
const addonNamespace = "kube-system"

// addonReadyTimeout bounds the wait for an addon's workloads: their
// images are on the nodes, so a minute means they cannot start.
const addonReadyTimeout = 2 * time.Minute

// ensureAddons applies the lab's cluster addons (spec.cluster.addons) to
// its kind cluster and waits until their DaemonSets and Deployments are
// ready, so that the first grading meets a cluster that enforces what the
// lab relies on (NetworkPolicy, a device plugin). Applying is
// server-side and idempotent: a reused cluster gets the same objects.
func (s *Session) ensureAddons(ctx context.Context) error {
	l := s.opts.Lab
	if len(l.Spec.Cluster.Addons) == 0 {
		return nil
	}
	if s.kindCluster == "" {
		var names []string
		for _, a := range l.Spec.Cluster.Addons {
			names = append(names, a.Apply)
		}
		s.progress("addons: not a kind cluster; it must already run what %s install", strings.Join(names, ", "))
		return nil
	}
	var workloads []apply.Object
	for _, a := range l.Spec.Cluster.Addons {
		objs, err := apply.Read(filepath.Join(l.Dir, a.Apply))
		if err != nil {
			return fmt.Errorf("lab %s: addon %s: %w", l.Name(), a.Apply, err)
		}
		err = s.retry(ctx, "applying addon "+a.Apply, 3, transient,
			fmt.Sprintf("the cluster may be unhealthy: remove it with 'labgrade down %s' and run again", l.Name()), func() error {
				return s.provider.Apply(ctx, s.clients, objs, addonNamespace)
			})
		if err != nil {
			return fmt.Errorf("lab %s: addon %s could not be applied:\n%w", l.Name(), a.Apply, err)
		}
		for _, o := range objs {
			if o.GetAPIVersion() == "apps/v1" && (o.GetKind() == "DaemonSet" || o.GetKind() == "Deployment") {
				workloads = append(workloads, o)
			}
		}
		s.progress("addons: applied %d objects from %s", len(objs), a.Apply)
	}
	ctx, cancel := context.WithTimeout(ctx, addonReadyTimeout)
	defer cancel()
	for _, o := range workloads {
		ns := o.GetNamespace()
		if ns == "" {
			ns = addonNamespace
		}
		if err := s.awaitWorkload(ctx, o.GetKind(), ns, o.GetName()); err != nil {
			return fmt.Errorf("lab %s: addon %s %s/%s did not become ready in %s: %w", l.Name(), o.GetKind(), ns, o.GetName(), addonReadyTimeout, err)
		}
	}
	for _, a := range l.Spec.Cluster.Addons {
		if a.Advertises == "" {
			continue
		}
		if err := s.awaitAdvertised(ctx, corev1.ResourceName(a.Advertises)); err != nil {
			return fmt.Errorf("lab %s: addon %s: no node offers %s after %s: %w", l.Name(), a.Apply, a.Advertises, addonReadyTimeout, err)
		}
		s.progress("addons: %s offered", a.Advertises)
	}
	return nil
}

// awaitNodesReady watches the nodes until every one is Ready. kind waits
// for the control plane only: a worker of a lab's layout may still be
// NotReady (and tainted so) when the cluster is handed over, and a
// grading would then meet a cluster smaller than the lab's.
func (s *Session) awaitNodesReady(ctx context.Context) error {
	want := len(s.opts.Lab.Spec.Cluster.Nodes)
	ctx, cancel := context.WithTimeout(ctx, addonReadyTimeout)
	defer cancel()
	nodes := s.clients.Typed.CoreV1().Nodes()
	lw := listWatch(nodes.List, nodes.Watch, nil)
	ready := map[string]bool{}
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Node{}, nil, func(ev kwatch.Event) (bool, error) {
		n, ok := ev.Object.(*corev1.Node)
		if !ok {
			return false, nil
		}
		ready[n.Name] = ev.Type != kwatch.Deleted && nodeReady(n)
		count := 0
		for _, r := range ready {
			if r {
				count++
			}
		}
		return count >= want, nil
	})
	if err != nil {
		return fmt.Errorf("the cluster's %d nodes were not all Ready after %s: %w", want, addonReadyTimeout, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// awaitAdvertised watches the nodes until one's allocatable holds some of
// resource.
func (s *Session) awaitAdvertised(ctx context.Context, resource corev1.ResourceName) error {
	nodes := s.clients.Typed.CoreV1().Nodes()
	lw := listWatch(nodes.List, nodes.Watch, nil)
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Node{}, nil, func(ev kwatch.Event) (bool, error) {
		n, ok := ev.Object.(*corev1.Node)
		if !ok {
			return false, nil
		}
		q, has := n.Status.Allocatable[resource]
		return has && !q.IsZero(), nil
	})
	return err
}

// awaitWorkload watches a DaemonSet or Deployment until its controller has
// seen its last change and every pod it wants is updated and ready.
func (s *Session) awaitWorkload(ctx context.Context, kind, ns, name string) error {
	byName := func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	}
	apps := s.clients.Typed.AppsV1()
	var (
		lw  *cache.ListWatch
		obj runtime.Object
	)
	switch kind {
	case "DaemonSet":
		lw, obj = listWatch(apps.DaemonSets(ns).List, apps.DaemonSets(ns).Watch, byName), &appsv1.DaemonSet{}
	default:
		lw, obj = listWatch(apps.Deployments(ns).List, apps.Deployments(ns).Watch, byName), &appsv1.Deployment{}
	}
	last := "not created yet"
	_, err := watchtools.UntilWithSync(ctx, lw, obj, nil, func(ev kwatch.Event) (bool, error) {
		var ready bool
		switch o := ev.Object.(type) {
		case *appsv1.DaemonSet:
			st := o.Status
			ready = st.ObservedGeneration >= o.Generation && st.DesiredNumberScheduled > 0 &&
				st.UpdatedNumberScheduled == st.DesiredNumberScheduled && st.NumberReady == st.DesiredNumberScheduled
			last = fmt.Sprintf("%d of %d pods ready", st.NumberReady, st.DesiredNumberScheduled)
		case *appsv1.Deployment:
			st, want := o.Status, int32(1)
			if o.Spec.Replicas != nil {
				want = *o.Spec.Replicas
			}
			ready = st.ObservedGeneration >= o.Generation && st.UpdatedReplicas == want && st.ReadyReplicas == want
			last = fmt.Sprintf("%d of %d replicas ready", st.ReadyReplicas, want)
		}
		return ready, nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", last, err)
	}
	return nil
}

// listWatch is the ListWatch of a typed client's List and Watch, with
// tweak (if any) applied to every request's options. (cache's own
// constructors take a REST client, which the fake clientset of the unit
// tests does not have.)
func listWatch[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error),
	watch func(context.Context, metav1.ListOptions) (kwatch.Interface, error), tweak func(*metav1.ListOptions)) *cache.ListWatch {
	opts := func(o metav1.ListOptions) metav1.ListOptions {
		if tweak != nil {
			tweak(&o)
		}
		return o
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return list(ctx, opts(o))
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (kwatch.Interface, error) {
			return watch(ctx, opts(o))
		},
	}
}
