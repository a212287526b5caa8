package spec

import "time"

// Check is one graded expectation. The fields up to dependsOn say how it
// counts; exactly one of the fields after them must be set: it is the
// check's kind, what the check grades.
type Check struct {
	// ID is the check's stable name: lower-case letters, digits and '-'.
	// Reports and broken variants' expect.yaml refer to it.
	ID string `json:"id" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Title says in one line what is expected, phrased as a fact.
	Title string `json:"title"`
	// Points the check is worth.
	Points int `json:"points" jsonschema:"minimum=1"`
	// Severity is required (the lab is not passed without it, whatever the
	// score) or recommended (the default: only its points count).
	Severity Severity `json:"severity,omitempty"`
	// Hints are shown on failure, most general first.
	Hints []string `json:"hints,omitempty"`
	// Visibility is visible (the default) or hidden: a hidden check counts,
	// but learner-facing outputs show only its title and points.
	Visibility Visibility `json:"visibility,omitempty"`
	// Timeout bounds how long the check waits for the cluster to reach the
	// expected state (default 30s).
	Timeout Duration `json:"timeout,omitempty"`
	// DependsOn lists checks that must pass first; when one does not, this
	// check fails without running and says why.
	DependsOn []string `json:"dependsOn,omitempty"`

	// Kinds are generated from the kind types (zz_generated_kinds.go).
	Kinds `json:",inline"`
}

// DefaultTimeout is a check's timeout when neither the lab nor its kind
// gives one.
const DefaultTimeout = 30 * time.Second

// Kind is the check's kind: the one kind field that is set, or nil when
// none or several are (the lab loader refuses both).
func (c *Check) Kind() Kind {
	if set := c.Given(); len(set) == 1 {
		return set[0]
	}
	return nil
}

// effects are the kind's, none without a kind.
func (c *Check) effects() Effects {
	if k := c.Kind(); k != nil {
		return k.Effects()
	}
	return Effects{}
}

// Subject names the object the check is about, when it is about one
// object: what a failure is explained by and pointed at.
func (c *Check) Subject() (apiVersion, kind, name string) {
	if k := c.Kind(); k != nil {
		return k.Subject()
	}
	return "", "", ""
}

// IsDisruptive reports whether the check changes the cluster (rollouts). The
// runner runs such checks one at a time, after all the others.
func (c *Check) IsDisruptive() bool { return c.effects().Disruptive }

// IsContained reports whether the check is disruptive only inside the
// grading's namespace, so that it may run on a copy of the submission
// (see Effects.Contained).
func (c *Check) IsContained() bool { e := c.effects(); return e.Disruptive && e.Contained }

// SendsTraffic reports whether the check drives sustained load through the
// lab's Services: a load generator pod for the length of a rollout or of
// the drift phases. An http check's single request is not counted here
// (see IsQuick).
func (c *Check) SendsTraffic() bool { return c.effects().SendsTraffic }

// IsQuick reports whether the check belongs in a quick grade (--quick, the
// learner's save-and-see loop): it reads the cluster as it stands and
// changes nothing in it, and it sends no traffic beyond one request. Each
// kind judges itself (its Effects); a check without a kind is not quick.
func (c *Check) IsQuick() bool { return c.effects().Quick }

// Severity of a check.
type Severity string

// Severities.
const (
	SeverityRequired    Severity = "required"
	SeverityRecommended Severity = "recommended"
)

// Visibility of a check's details to the learner.
type Visibility string

// Visibilities.
const (
	VisibilityVisible Visibility = "visible"
	VisibilityHidden  Visibility = "hidden"
)
