package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/expr"
	"github.com/labgrade/labgrade/grader/spec"
)

// GradingLabel marks the objects a grading was allowed to create
// (spec.submission.allow) with the grading's namespace: they are its, and
// go with it.
const GradingLabel = "labgrade.dev/grading"

// allowedOf takes out the submission's objects of a kind the lab allows
// and the cluster serves, by the kind's index in spec.submission.allow;
// the rest go on to the namespace's rules.
func (gr *grading) allowedOf(objs []apply.Object) (rest []apply.Object, allowed map[int][]apply.Object) {
	kinds := gr.s.opts.Lab.Spec.Submission.Allow
	allowed = map[int][]apply.Object{}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		i := slices.IndexFunc(kinds, func(a spec.AllowedKind) bool {
			return a.APIVersion == gvk.GroupVersion().String() && a.Kind == gvk.Kind
		})
		if _, served := allowedMapping(gr.s.clients, gvk); i < 0 || !served {
			rest = append(rest, o) // not allowed, or unknown: the usual rules
			continue
		}
		allowed[i] = append(allowed[i], o)
	}
	return rest, allowed
}

// allowedMapping is the resource of an allowed kind the cluster serves.
func allowedMapping(c *cluster.Clients, gvk schema.GroupVersionKind) (*meta.RESTMapping, bool) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return m, err == nil
}

// clusterMapping is the resource of a kind the cluster serves
// cluster-scoped (ok false for a namespaced or unknown kind).
func clusterMapping(c *cluster.Clients, gvk schema.GroupVersionKind) (*meta.RESTMapping, bool) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return m, err == nil && m.Scope.Name() == meta.RESTScopeNameRoot
}

// applyAllowed validates and applies, with the grader's identity, the
// objects of the kinds the lab allows. Each must meet its kind's
// constraints and the kind's count must stay within max; a name already
// taken in the cluster by anything but this grading is refused, never
// overwritten (the object is created, and updated only when it carries
// this grading's label). What is refused is the learner's, shown first.
func (gr *grading) applyAllowed(ctx context.Context, allowed map[int][]apply.Object) (applied int, err error) {
	kinds := gr.s.opts.Lab.Spec.Submission.Allow
	for _, i := range slices.Sorted(maps.Keys(allowed)) {
		a := kinds[i]
		progs, err := a.Programs()
		if err != nil {
			return applied, err
		}
		limit := a.Max
		if limit == 0 {
			limit = spec.DefaultAllowedMax
		}
		for n, o := range allowed[i] {
			why := breaks(o, progs, n, limit)
			if why == "" {
				if why, err = gr.createAllowed(ctx, o); err != nil {
					return applied, err
				}
			}
			if why != "" {
				gr.res.Refused = append(gr.res.Refused, apply.Refusal{File: o.File, Line: o.Line, Object: o.Ref(), Why: why})
				continue
			}
			applied++
		}
	}
	return applied, nil
}

// breaks says why the n-th object of an allowed kind may not be applied
// ("" when it may).
func breaks(o apply.Object, progs []*expr.Program, n, limit int) string {
	if n >= limit {
		return fmt.Sprintf("is one %s more than the lab allows (%d)", o.GetKind(), limit)
	}
	for _, p := range progs {
		if ok, err := p.Eval(map[string]any{"object": o.Object, "objects": []any{o.Object}}); err != nil || !ok {
			return fmt.Sprintf("breaks the lab's rule for a %s: %s", o.GetKind(), p.Source)
		}
	}
	return ""
}

// createAllowed creates o labelled as this grading's, or updates it when
// this grading created it before; why says why it was refused.
func (gr *grading) createAllowed(ctx context.Context, o apply.Object) (why string, err error) {
	c := gr.s.clients
	m, ok := allowedMapping(c, o.GroupVersionKind())
	if !ok { // allowedOf kept only kinds the cluster serves
		return "", fmt.Errorf("%s is no longer served", o.GetKind())
	}
	u := o.Unstructured.DeepCopy()
	ri := c.Dynamic.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		u.SetNamespace("")
	} else {
		// a namespaced kind the learner's role may not create (a
		// ResourceQuota): in the grading's namespace only
		if ns := u.GetNamespace(); ns != "" && ns != gr.s.opts.Lab.Spec.Namespace && ns != gr.ns {
			return fmt.Sprintf("names namespace %s: a submission's objects belong in the lab's namespace", ns), nil
		}
		u.SetNamespace(gr.ns)
	}
	var rc dynamic.ResourceInterface = ri
	if u.GetNamespace() != "" {
		rc = ri.Namespace(gr.ns)
	}
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[GradingLabel] = gr.ns
	u.SetLabels(labels)
	_, err = rc.Create(ctx, u, metav1.CreateOptions{FieldManager: apply.FieldManager})
	if !apierrors.IsAlreadyExists(err) {
		if apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err) {
			return err.Error(), nil // the API server's refusal is the learner's
		}
		return "", err
	}
	cur, err := rc.Get(ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if cur.GetLabels()[GradingLabel] != gr.ns {
		return fmt.Sprintf("names a %s that exists in the cluster and is not this grading's: it is left as it is", o.GetKind()), nil
	}
	u.SetResourceVersion(cur.GetResourceVersion())
	if _, err := rc.Update(ctx, u, metav1.UpdateOptions{FieldManager: apply.FieldManager}); err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsConflict(err) {
			return err.Error(), nil
		}
		return "", err
	}
	return "", nil
}

// releaseAllowed deletes the cluster-scoped objects a grading of namespace
// ns was allowed to create, so the next grading starts clean (namespaced
// ones go with the namespace).
func releaseAllowed(ctx context.Context, c *cluster.Clients, kinds []spec.AllowedKind, ns string) error {
	for _, a := range kinds {
		m, ok := clusterMapping(c, schema.FromAPIVersionAndKind(a.APIVersion, a.Kind))
		if !ok {
			continue
		}
		err := c.Dynamic.Resource(m.Resource).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: GradingLabel + "=" + ns})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing the %s objects of grading %s: %w", a.Kind, ns, err)
		}
	}
	return nil
}
