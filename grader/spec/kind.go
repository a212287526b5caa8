package spec

import (
	"fmt"
	"strings"

	"github.com/labgrade/labgrade/grader/expr"
)

// Kind is one kind of check: the part of a check that says what it grades
// (resource, http, rollout...). Each kind is a struct type of this package,
// in a file of its own, marked for hack/gen-kinds with a directive
//
//	//labgrade:checkkind NAME SUMMARY
//
// where NAME is the field lab.yaml spells it as and SUMMARY documents that
// field. The generator adds the kind to Kinds (so to Check and the JSON
// Schema); its execution is registered in grader/checks.
type Kind interface {
	// Default fills in what the lab left out. c is the check holding the
	// kind: a kind whose run has a natural length (a rollout, a traffic
	// phase) sets c's timeout when the lab gives none.
	Default(c *Check)
	// Validate reports every problem of the kind's fields to v, and
	// compiles its CEL expressions (kept on the kind for its run). It is
	// called after Default.
	Validate(v Validator)
	// Subject names the object the check is about, when it is about one
	// object: what a failure is explained by and pointed at.
	Subject() (apiVersion, kind, name string)
	// Effects say what running the check does to the cluster.
	Effects() Effects
}

// Effects are what running a check does besides reading the cluster. They
// decide when the runner may run it and whether a quick grade keeps it.
type Effects struct {
	// Disruptive: the check changes the cluster (a rollout sets an
	// image), so the runner runs it after every other check, one at a
	// time, in lab order.
	Disruptive bool
	// Contained: what a disruptive check changes stays inside the
	// grading's namespace (a rollout of the submission's Deployment), so
	// the runner may instead run it on a copy of the submission in a
	// namespace of its own, beside the other checks (runner.Grading's
	// Copies). A check that reaches outside (a Job talking to the lab's
	// registry, a scheduling burst taking the cluster's GPUs) is not.
	Contained bool
	// SendsTraffic: the check drives sustained load through the lab's
	// Services, a load generator pod for the length of a rollout or of a
	// drift phase. One request (an http check's) is not counted.
	SendsTraffic bool
	// Quick: the check belongs in a quick grade (--quick, the learner's
	// save-and-see loop): it reads the cluster as it stands, changes
	// nothing in it and sends no traffic beyond one request. The zero
	// value is not quick, so a new kind stays out of quick grades until
	// its author judges it quick.
	Quick bool
}

// Validator is what a kind's Validate needs from the lab loader, which
// places each problem at its file, line and column.
type Validator interface {
	// Where names the check in messages: check "ID".
	Where() string
	// Problemf reports a problem at field, a JSON path relative to the
	// kind ("" for the kind itself, "behaviour.drift[0].feature").
	Problemf(field, format string, args ...any)
	// LabPath reports whether rel names an existing file or directory
	// relative to the lab directory; when not, it has reported why at
	// field.
	LabPath(field, rel string) bool
	// DeclaredImage reports whether ref is one of spec.cluster.images,
	// the only images the cluster's nodes hold.
	DeclaredImage(ref string) bool
	// CEL compiles srcs, the expressions at field, with env's variables. An
	// expression that does not compile is reported at field[i] and left
	// out of the result.
	CEL(field string, env expr.Env, srcs []string) []*expr.Program
}

// joinField joins relative field paths ("behaviour" + "path").
func joinField(at, field string) string {
	if at == "" {
		return field
	}
	return at + "." + field
}

// requestPath reports a request path, what in messages ("http path"),
// that does not start with '/'.
func requestPath(v Validator, field, what, path string) {
	if !strings.HasPrefix(path, "/") {
		v.Problemf(field, "%s in %s must start with '/'", what, v.Where())
	}
}

// compiled returns a kind's compiled CEL, or an error when the kind never
// went through Validate: running without its expressions would pass what
// they should have refused.
func compiled(srcs []string, progs []*expr.Program) ([]*expr.Program, error) {
	if len(progs) != len(srcs) {
		return nil, fmt.Errorf("the check's CEL expressions were not compiled: load the lab with lab.Load")
	}
	return progs, nil
}
