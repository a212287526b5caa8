package spec

import "github.com/labgrade/labgrade/grader/expr"

// AbsentCheck passes when no targeted object matches: every object that
// matches expect (if given) and all CEL expressions (if given) is an
// offender. With neither, any object at all is an offender.
//
//labgrade:checkkind absent Absent: no object matches.
type AbsentCheck struct {
	Target `json:",inline"`
	// Expect is a partial object, matched as in resource checks.
	Expect map[string]any `json:"expect,omitempty"`
	// CEL expressions, with object bound to each candidate.
	CEL []string `json:"cel,omitempty"`

	programs []*expr.Program
}

// Default has nothing to fill in.
func (a *AbsentCheck) Default(*Check) {}

// Validate checks the target and compiles the CEL.
func (a *AbsentCheck) Validate(v Validator) {
	a.Target.validate(v)
	a.programs = v.CEL("cel", expr.Object, a.CEL)
}

// Programs are the compiled CEL expressions, in the lab's order.
func (a *AbsentCheck) Programs() ([]*expr.Program, error) { return compiled(a.CEL, a.programs) }

// Subject: offenders are many or none, so there is no one object to point
// at.
func (a *AbsentCheck) Subject() (apiVersion, kind, name string) { return "", "", "" }

// Effects: the check only reads (lists and watches).
func (a *AbsentCheck) Effects() Effects { return Effects{Quick: true} }
