package apply

import (
	"context"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/result"
)

// FieldManager is the server-side apply field manager labgrade uses.
const FieldManager = "labgrade"

// Apply server-side applies objs, namespaced ones into defaultNamespace;
// one that names another namespace is refused. Namespaces and CRDs go first, and CRDs are
// waited for until established, so custom resources in the same set apply.
// Objects that make pods go last (see rank).
// Every failing object is reported (file:line: Kind/name: reason); the
// others are still applied.
func Apply(ctx context.Context, c *cluster.Clients, objs []Object, defaultNamespace string) error {
	ordered := inApplyOrder(objs)
	failed := &Error{}
	crdsPending := false
	for _, o := range ordered {
		if crdsPending && rank(o) >= 2 {
			c.Mapper.Reset() // new kinds exist now
			crdsPending = false
		}
		if err := applyOne(ctx, c, o, defaultNamespace); err != nil {
			failed.add(o, err)
			continue
		}
		if isCRD(o) {
			if err := waitEstablished(ctx, c, o.GetName()); err != nil {
				failed.add(o, err)
			}
			crdsPending = true
		}
	}
	if len(failed.Refused) > 0 {
		return failed
	}
	return nil
}

// Error lists the objects Apply could not apply, each with where it is
// written and what the API server said: a refusal when the objects are
// the learner's. It unwraps to each object's error, so a transient one
// (the API server busy) can be told apart.
type Error struct {
	Refused []Refusal
	errs    []error
}

func (e *Error) add(o Object, err error) {
	e.Refused = append(e.Refused, Refusal{File: o.File, Line: o.Line, Object: o.Ref(), Why: err.Error()})
	e.errs = append(e.errs, err)
}

func (e *Error) Error() string { return result.RefusalLines(e.Refused) }

func (e *Error) Unwrap() []error { return e.errs }

// inApplyOrder sorts a copy of objs by rank, each rank in the order given.
func inApplyOrder(objs []Object) []Object {
	ordered := append([]Object(nil), objs...)
	sort.SliceStable(ordered, func(i, j int) bool { return rank(ordered[i]) < rank(ordered[j]) })
	return ordered
}

// rank orders the objects of one apply: Namespaces, CRDs, everything
// else, and last the workloads, whose pods need what the rest holds. A pod
// whose ServiceAccount does not exist yet is refused at admission, and its
// ReplicaSet or Job then retries with a backoff that doubles each time (a
// dozen refusals cost 20 s and more): seen in CI, a correct submission
// whose serviceaccount.yaml sorts after its deployment.yaml had no ready
// pod in 45 s on a loaded host (its ReplicaSet logged 14 refusals in a
// rerun here). Volumes of a ConfigMap, Secret or claim applied later wait
// on the kubelet's mount backoff the same way. Helm installs in a kind
// order for the same reason; kubectl apply keeps the files' order.
func rank(o Object) int {
	gvk := o.GroupVersionKind()
	switch {
	case gvk.Kind == "Namespace" && gvk.Group == "":
		return 0
	case isCRD(o):
		return 1
	case makesPods[gvk.GroupKind()]:
		return 3
	}
	return 2
}

// makesPods are the built-in kinds that are, or create, pods.
var makesPods = map[schema.GroupKind]bool{
	{Kind: "Pod"}:                        true,
	{Kind: "ReplicationController"}:      true,
	{Group: "apps", Kind: "ReplicaSet"}:  true,
	{Group: "apps", Kind: "Deployment"}:  true,
	{Group: "apps", Kind: "StatefulSet"}: true,
	{Group: "apps", Kind: "DaemonSet"}:   true,
	{Group: "batch", Kind: "Job"}:        true,
	{Group: "batch", Kind: "CronJob"}:    true,
}

func isCRD(o Object) bool {
	return o.GetKind() == "CustomResourceDefinition" && o.GroupVersionKind().Group == "apiextensions.k8s.io"
}

func applyOne(ctx context.Context, c *cluster.Clients, o Object, defaultNamespace string) error {
	gvk := o.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset() // a kind created since the mapper last looked
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return fmt.Errorf("the cluster has no kind %s in %s", gvk.Kind, gvk.GroupVersion())
		}
		return err
	}
	u := o.Unstructured.DeepCopy()
	var ri interface {
		Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		switch ns := u.GetNamespace(); ns {
		case "":
			u.SetNamespace(defaultNamespace)
		case defaultNamespace:
		default:
			// a grading owns one namespace; Retarget has moved what named
			// the lab's, and anything else is not the grading's to touch
			return fmt.Errorf("names namespace %q; only %q is applied to", ns, defaultNamespace)
		}
		ri = c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace())
	} else {
		u.SetNamespace("")
		ri = c.Dynamic.Resource(m.Resource)
	}
	body, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	// Transient API errors (the server restarting a watch cache, a
	// webhook not ready yet) are retried briefly; validation errors are not.
	return retryTransient(ctx, func() error {
		_, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
		return err
	})
}

func waitEstablished(ctx context.Context, c *cluster.Clients, name string) error {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		u, err := c.Dynamic.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}
