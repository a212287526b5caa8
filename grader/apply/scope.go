package apply

import (
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/labgrade/labgrade/grader/cluster"
)

// NamespacedOnly keeps the objects that live in a namespace and refuses
// the cluster-scoped ones (a ClusterRoleBinding, a webhook, a CRD, a
// Namespace, a PriorityClass): a submission is graded in its namespace and
// may change nothing outside it. A Namespace named ns, the grading's own,
// is left out without a refusal: it is there already. Kinds the cluster
// does not serve are kept, for the API server to refuse by name.
func NamespacedOnly(c *cluster.Clients, objs []Object, ns string) (kept []Object, refused []Refusal) {
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case err != nil:
			kept = append(kept, o)
		case m.Scope.Name() == meta.RESTScopeNameNamespace:
			kept = append(kept, o)
		case gvk.Group == "" && gvk.Kind == "Namespace" && o.GetName() == ns:
		default:
			refused = append(refused, Refusal{File: o.File, Line: o.Line, Object: o.Ref(),
				Why: "is cluster-scoped: a submission may only create objects in its own namespace"})
		}
	}
	return kept, refused
}
