// Package expr compiles and evaluates the CEL expressions of lab checks.
//
// Expressions are compiled once when the lab is loaded, so a typo is a lab
// error with a file and line, never a learner failure at grading time.
package expr

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// Env is the set of variables an expression may use.
type Env int

// The environments, one per place CEL appears in a lab.
const (
	// Object binds object (one Kubernetes object as a map) and objects (all
	// the objects a check targets).
	Object Env = iota
	// HTTP binds status (int), body (string), json (parsed body or null) and
	// latencyMs (double).
	HTTP
	// Job binds job (a triggered run: name, outcome, reason, attempts,
	// seconds) and before and after (a Service's parsed JSON answers
	// before the run and after it, or null).
	Job
)

var envs = map[Env]*cel.Env{}

func init() {
	common := []cel.EnvOption{ext.Strings(), ext.Lists(), ext.Sets(), ext.Encoders()}
	var err error
	envs[Object], err = cel.NewEnv(append(common,
		cel.Variable("object", cel.DynType),
		cel.Variable("objects", cel.ListType(cel.DynType)))...)
	if err != nil {
		panic(err) // fixed declarations: only a programming error gets here
	}
	envs[HTTP], err = cel.NewEnv(append(common,
		cel.Variable("status", cel.IntType),
		cel.Variable("body", cel.StringType),
		cel.Variable("json", cel.DynType),
		cel.Variable("latencyMs", cel.DoubleType))...)
	if err != nil {
		panic(err)
	}
	envs[Job], err = cel.NewEnv(append(common,
		cel.Variable("job", cel.DynType),
		cel.Variable("before", cel.DynType),
		cel.Variable("after", cel.DynType))...)
	if err != nil {
		panic(err)
	}
}

// Program is a compiled boolean expression.
type Program struct {
	// Source is the expression as messages quote it: on one line, an
	// expression written over several lines joined with single spaces (a
	// YAML folded scalar keeps the newlines of its more-indented lines).
	Source string
	prg    cel.Program
}

var lineBreak = regexp.MustCompile(`[ \t]*\r?\n[ \t]*`)

// Compile parses and type-checks src; the result must be a bool.
func Compile(env Env, src string) (*Program, error) {
	e := envs[env]
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("CEL %q: %s", src, oneLine(iss.Err().Error()))
	}
	if t := ast.OutputType(); t != cel.BoolType && t != cel.DynType {
		return nil, fmt.Errorf("CEL %q: must be true or false, but gives %s", src, t)
	}
	prg, err := e.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(10_000_000))
	if err != nil {
		return nil, fmt.Errorf("CEL %q: %s", src, oneLine(err.Error()))
	}
	return &Program{Source: lineBreak.ReplaceAllString(strings.TrimSpace(src), " "), prg: prg}, nil
}

// Eval runs the program. A runtime error (a missing key, a wrong type) is
// returned as an error: for a grader it means "not satisfied", with a reason.
func (p *Program) Eval(vars map[string]any) (bool, error) {
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return false, fmt.Errorf("%s", oneLine(err.Error()))
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("gave %v, not true or false", out.Value())
	}
	return b, nil
}

// oneLine folds cel-go's multi-line messages (which draw a caret under the
// source) into one line for reports.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	var keep []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "|") || strings.Trim(l, ".^ ") == "" {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "; ")
}
