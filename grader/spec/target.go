package spec

import "k8s.io/apimachinery/pkg/labels"

// Target names the objects a check looks at: one object by name, or all
// objects a label selector picks.
type Target struct {
	// APIVersion of the objects, e.g. apps/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of the objects, e.g. Deployment. Custom resources work once their
	// CRD is established.
	Kind string `json:"kind"`
	// Name of one object. Give name or selector, not both; with neither,
	// every object of the kind in the namespace is taken.
	Name string `json:"name,omitempty"`
	// Selector is a label selector (app=model,tier!=cache).
	Selector string `json:"selector,omitempty"`
	// Namespace defaults to the lab namespace; ignored for cluster-scoped
	// kinds.
	Namespace string `json:"namespace,omitempty"`
}

// validate reports a target that names no kind of object, or picks its
// objects both ways or with a selector that does not parse.
func (t Target) validate(v Validator) {
	if t.APIVersion == "" || t.Kind == "" {
		v.Problemf("", "%s must name apiVersion and kind", v.Where())
	}
	if t.Name != "" && t.Selector != "" {
		v.Problemf("selector", "%s gives both name and selector; give one", v.Where())
	}
	if t.Selector != "" {
		if _, err := labels.Parse(t.Selector); err != nil {
			v.Problemf("selector", "selector of %s: %v", v.Where(), err)
		}
	}
}
