package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/spec"
)

// Selection picks which of a lab's checks a run grades (--only, --skip,
// --quick). The zero Selection grades every check; any other may leave
// checks out, and a run that does is a partial grade, never a pass.
type Selection struct {
	// Only, when set, grades these checks and what they depend on.
	Only []string
	// Skip leaves these checks out, and the checks that depend on them.
	Skip []string
	// Quick leaves out every check that is not quick (spec.Check.IsQuick),
	// and the checks that depend on them.
	Quick bool
}

// IsZero reports whether the selection grades every check.
func (s Selection) IsZero() bool { return len(s.Only) == 0 && len(s.Skip) == 0 && !s.Quick }

// String is the selection as flags ("--quick --skip a,b"), for reports:
// running without them gives the full grade.
func (s Selection) String() string {
	var f []string
	if s.Quick {
		f = append(f, "--quick")
	}
	if len(s.Only) > 0 {
		f = append(f, "--only "+strings.Join(s.Only, ","))
	}
	if len(s.Skip) > 0 {
		f = append(f, "--skip "+strings.Join(s.Skip, ","))
	}
	return strings.Join(f, " ")
}

// Plan is a Selection applied to one lab.
type Plan struct {
	// Run are the checks to grade, in lab order. Every check a check of Run
	// depends on is in Run too.
	Run []spec.Check
	// LeftOut are the ids of the lab's other checks, in lab order, and
	// LeftOutPoints what they are worth.
	LeftOut       []string
	LeftOutPoints int
	// Notes say what the flags alone do not: a check that runs because a
	// selected one depends on it, or one left out because what it depends
	// on is.
	Notes []string
}

// Plan applies the selection to l. A check that --only names runs with the
// checks it depends on, since its grade needs theirs; --skip and --quick
// win over that, and then leave out every check that depends on what they
// leave out (it could only fail with "not run", which says nothing about
// the learner's work). Bad input is an error naming it: an id the lab does
// not have (with the lab's ids), an id in both --only and --skip, or a
// selection that leaves nothing to grade.
func (s Selection) Plan(l *lab.Lab) (Plan, error) {
	checks := l.Spec.Checks
	byID := map[string]*spec.Check{}
	var ids []string
	for i := range checks {
		byID[checks[i].ID] = &checks[i]
		ids = append(ids, checks[i].ID)
	}
	for _, f := range []struct {
		flag string
		ids  []string
	}{{"--only", s.Only}, {"--skip", s.Skip}} {
		flag := f.flag
		for _, id := range f.ids {
			if id == "" {
				return Plan{}, fmt.Errorf("%s has an empty check id (a stray comma?)", flag)
			}
			if byID[id] == nil {
				return Plan{}, fmt.Errorf("%s: lab %s has no check %q; its checks are: %s", flag, l.Name(), id, strings.Join(ids, ", "))
			}
		}
	}
	for _, id := range s.Only {
		if slices.Contains(s.Skip, id) {
			return Plan{}, fmt.Errorf("check %q is in both --only and --skip", id)
		}
	}

	// out: what --skip and --quick leave out, then every check that
	// depends on one of those, until nothing changes (a dependency may be
	// declared after its dependent)
	out := map[string]bool{}
	for _, id := range ids {
		if slices.Contains(s.Skip, id) || (s.Quick && !byID[id].IsQuick()) {
			out[id] = true
		}
	}
	why := map[string]string{}
	for changed := true; changed; {
		changed = false
		for _, id := range ids {
			if out[id] {
				continue
			}
			for _, dep := range byID[id].DependsOn {
				if out[dep] {
					out[id], why[id], changed = true, dep, true
					break
				}
			}
		}
	}
	// asked: every check, or --only's; run: what is asked and not out,
	// with what it depends on (never out: that would have put it out)
	asked := map[string]bool{}
	for _, id := range ids {
		asked[id] = len(s.Only) == 0 || slices.Contains(s.Only, id)
	}
	run := map[string]bool{}
	neededBy := map[string]string{} // a check only pulled in -> one that needs it
	var pull func(id string)
	pull = func(id string) {
		for _, dep := range byID[id].DependsOn {
			if !run[dep] {
				run[dep] = true
				if !asked[dep] {
					neededBy[dep] = id
				}
				pull(dep)
			}
		}
	}
	for _, id := range ids {
		if asked[id] && !out[id] {
			run[id] = true
			pull(id)
		}
	}
	var p Plan
	for _, id := range ids {
		c := byID[id]
		if run[id] {
			p.Run = append(p.Run, *c)
			if by := neededBy[id]; by != "" {
				p.Notes = append(p.Notes, fmt.Sprintf("%s runs too: %s depends on it", id, by))
			}
			continue
		}
		p.LeftOut = append(p.LeftOut, id)
		p.LeftOutPoints += c.Points
		if dep := why[id]; dep != "" && asked[id] {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is left out too: it depends on %s, which is left out", id, dep))
		}
	}
	if len(p.Run) == 0 {
		return Plan{}, fmt.Errorf("%s leaves no check of lab %s to grade", s, l.Name())
	}
	return p, nil
}
