package spec

import "github.com/labgrade/labgrade/grader/expr"

// AllowedKind is a kind a submission may hold although the learner's
// identity may not create it, because the lab is about it: a
// cluster-scoped kind (PriorityClasses for a scheduling lab, an
// IngressClass), or a namespaced one the admin role leaves to cluster
// admins (a ResourceQuota capping the team's GPUs). labgrade validates
// each such object against the constraints here and applies it itself,
// into the grading's namespace when the kind is namespaced; it labels it
// with the grading's namespace and removes it with the grading. An object
// of that name already there and not the grading's own is refused, never
// overwritten.
type AllowedKind struct {
	// APIVersion of the kind, e.g. scheduling.k8s.io/v1.
	APIVersion string `json:"apiVersion"`
	// Kind, e.g. PriorityClass.
	Kind string `json:"kind"`
	// CEL constraints every object of the kind must meet (object is the
	// object as written), e.g. "object.value < 1000000" or
	// "!has(object.globalDefault) || !object.globalDefault": a learner's
	// PriorityClass must not outrank the cluster's own components or
	// become every pod's default.
	CEL []string `json:"cel,omitempty"`
	// Max is how many objects of the kind one submission may hold
	// (default 5).
	Max int `json:"max,omitempty" jsonschema:"minimum=0"`

	programs []*expr.Program
}

// DefaultAllowedMax is how many objects of an allowed kind a submission
// may hold unless the lab says otherwise.
const DefaultAllowedMax = 5

// SetPrograms keeps the compiled constraints (the loader compiles them).
func (a *AllowedKind) SetPrograms(p []*expr.Program) { a.programs = p }

// Programs are the compiled constraints, in the lab's order.
func (a *AllowedKind) Programs() ([]*expr.Program, error) { return compiled(a.CEL, a.programs) }
