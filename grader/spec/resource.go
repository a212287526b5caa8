package spec

import "github.com/labgrade/labgrade/grader/expr"

// ResourceCheck passes when the targeted objects exist and each matches
// expect and every CEL expression. It is re-evaluated on every change the
// API server reports, until it passes or the check times out.
//
//labgrade:checkkind resource Resource: an object (or every object a selector picks) matches.
type ResourceCheck struct {
	Target `json:",inline"`
	// Expect is a partial object: keys it leaves out are ignored; a list
	// matches when each expected element matches a distinct actual element,
	// in any order; scalars compare as read back from the API server, so
	// after defaulting ("1Gi" equals "1024Mi"); null means "must be absent".
	Expect map[string]any `json:"expect,omitempty"`
	// CEL expressions that must all be true. object is the object (with a
	// name), objects the list of objects (with a selector).
	CEL []string `json:"cel,omitempty"`
	// MinCount is how many objects a selector must pick at least (default 1).
	MinCount int `json:"minCount,omitempty" jsonschema:"minimum=0"`
	// Selects names a Deployment of the namespace whose pods the objects
	// must select by their spec.selector (a label selector, or a Service's
	// map): only objects that select at least one of its pods and no other
	// pod count, so that "a PodDisruptionBudget for the model server"
	// cannot be met by a budget over other pods. Without name, the check
	// fails when no object qualifies and judges only those that do.
	Selects string `json:"selects,omitempty"`

	programs []*expr.Program
}

// Default asks a selector for at least one object.
func (r *ResourceCheck) Default(*Check) {
	if r.MinCount == 0 {
		r.MinCount = 1
	}
}

// Validate checks the target and compiles the CEL.
func (r *ResourceCheck) Validate(v Validator) {
	r.Target.validate(v)
	r.programs = v.CEL("cel", expr.Object, r.CEL)
}

// Programs are the compiled CEL expressions, in the lab's order.
func (r *ResourceCheck) Programs() ([]*expr.Program, error) { return compiled(r.CEL, r.programs) }

// Subject is the object when the check names one; a selector's objects
// have no single subject.
func (r *ResourceCheck) Subject() (apiVersion, kind, name string) {
	if r.Name == "" {
		return "", "", ""
	}
	return r.APIVersion, r.Kind, r.Name
}

// Effects: the check only reads (lists and watches).
func (r *ResourceCheck) Effects() Effects { return Effects{Quick: true} }
