package apply

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/result"
)

// Refusal is an object (or, with Object empty, a whole file) that is not
// applied, with where it is written and why: the result's own type, so a
// refusal reaches every report as it is.
type Refusal = result.Refusal

// RefusalsError is rs as one error, a refusal a line; nil when rs is empty.
func RefusalsError(rs []Refusal) error {
	if len(rs) == 0 {
		return nil
	}
	return errors.New(result.RefusalLines(rs))
}

// Retarget moves objects that name the lab's namespace (from) into the
// namespace a grading uses (to), so that several gradings of one lab share
// a cluster: metadata.namespace, a Namespace object of that name, the
// namespace of ServiceAccount subjects in role bindings, and an Event's
// involvedObject.namespace. It returns the
// objects to apply, and refuses, leaving them as written and out of kept,
// those that name any other namespace: a grading's objects live in its
// namespace alone.
func Retarget(objs []Object, from, to string) (kept []Object, refused []Refusal) {
	for i := range objs {
		o := &objs[i]
		switch ns := o.GetNamespace(); ns {
		case "", to:
		case from:
			o.SetNamespace(to)
		default:
			refused = append(refused, Refusal{File: o.File, Line: o.Line, Object: o.Ref(),
				Why: fmt.Sprintf("names namespace %q; the lab's objects live in its namespace %q (leave metadata.namespace out)", ns, from)})
			continue
		}
		gv := o.GroupVersionKind()
		switch {
		case gv.Group == "" && o.GetKind() == "Namespace" && o.GetName() == from:
			o.SetName(to)
		case gv.Group == "rbac.authorization.k8s.io" && (o.GetKind() == "RoleBinding" || o.GetKind() == "ClusterRoleBinding"):
			retargetSubjects(o.Unstructured, from, to)
		case gv.Group == "" && o.GetKind() == "Event":
			// the API server requires an Event's object in its own namespace
			if ns, _, _ := unstructured.NestedString(o.Object, "involvedObject", "namespace"); ns == from {
				_ = unstructured.SetNestedField(o.Object, to, "involvedObject", "namespace")
			}
		}
		kept = append(kept, *o)
	}
	return kept, refused
}

func retargetSubjects(u *unstructured.Unstructured, from, to string) {
	subjects, found, err := unstructured.NestedSlice(u.Object, "subjects")
	if !found || err != nil {
		return
	}
	for _, s := range subjects {
		if m, ok := s.(map[string]any); ok && m["kind"] == "ServiceAccount" && m["namespace"] == from {
			m["namespace"] = to
		}
	}
	_ = unstructured.SetNestedSlice(u.Object, subjects, "subjects")
}
