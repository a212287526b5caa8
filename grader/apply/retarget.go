package apply

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Retarget moves objects that name the lab's namespace (from) into the
// namespace a grading uses (to), so that several gradings of one lab share
// a cluster: metadata.namespace, a Namespace object of that name, and the
// namespace of ServiceAccount subjects in role bindings. An object that
// names any other namespace is left as it is and reported (file:line:
// Kind/name: why); a grading's objects live in its namespace alone.
func Retarget(objs []Object, from, to string) error {
	var problems []string
	for i := range objs {
		o := &objs[i]
		switch ns := o.GetNamespace(); ns {
		case "", to:
		case from:
			o.SetNamespace(to)
		default:
			problems = append(problems, fmt.Sprintf("%s: %s: names namespace %q; the lab's objects live in its namespace %q (leave metadata.namespace out)",
				o.Where(), o.Ref(), ns, from))
			continue
		}
		gv := o.GroupVersionKind()
		switch {
		case gv.Group == "" && o.GetKind() == "Namespace" && o.GetName() == from:
			o.SetName(to)
		case gv.Group == "rbac.authorization.k8s.io" && (o.GetKind() == "RoleBinding" || o.GetKind() == "ClusterRoleBinding"):
			retargetSubjects(o.Unstructured, from, to)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
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

// InNamespace keeps the objects that name no namespace or ns: what is
// left to apply once Retarget has refused the others.
func InNamespace(objs []Object, ns string) []Object {
	var out []Object
	for _, o := range objs {
		if n := o.GetNamespace(); n == "" || n == ns {
			out = append(out, o)
		}
	}
	return out
}
