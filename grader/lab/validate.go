package lab

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/labgrade/labgrade/grader/expr"
	"github.com/labgrade/labgrade/grader/spec"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validator makes every check on a decoded lab that needs no cluster.
type validator struct {
	lab      *Lab
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	p := v.lab.pos[path]
	v.problems = append(v.problems, Problem{File: v.lab.File, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	l := &v.lab.Lab
	if l.APIVersion != spec.APIVersion {
		v.add("apiVersion", "apiVersion must be %s, not %q", spec.APIVersion, l.APIVersion)
	}
	if l.Kind != spec.KindLab {
		v.add("kind", "kind must be %s, not %q", spec.KindLab, l.Kind)
	}
	if !dnsLabel.MatchString(l.Metadata.Name) || len(l.Metadata.Name) > 40 {
		v.add("metadata.name", "metadata.name %q must be lower-case letters, digits and '-', at most 40 characters", l.Metadata.Name)
	} else if base := filepath.Base(v.lab.Dir); base != l.Metadata.Name {
		v.add("metadata.name", "metadata.name %q differs from the lab directory name %q", l.Metadata.Name, base)
	}
	s := &l.Spec
	if s.Title == "" {
		v.add("spec.title", "spec.title must not be empty")
	}
	switch s.Level {
	case "", "beginner", "intermediate", "professional":
	default:
		v.add("spec.level", "spec.level must be beginner, intermediate or professional, not %q", s.Level)
	}
	if !dnsLabel.MatchString(s.Namespace) {
		v.add("spec.namespace", "spec.namespace %q is not a valid namespace name", s.Namespace)
	}
	if s.PassingScore < 0 || s.PassingScore > 100 {
		v.add("spec.passingScore", "spec.passingScore is a percentage: 0 to 100, not %d", s.PassingScore)
	}
	switch s.Sandbox.PodSecurity {
	case "", "privileged", "baseline", "restricted":
	default:
		v.add("spec.sandbox.podSecurity", "spec.sandbox.podSecurity must be privileged, baseline or restricted, not %q", s.Sandbox.PodSecurity)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Sandbox.Quota)) {
		if _, known := spec.DefaultQuota[name]; !known && !strings.HasPrefix(name, "count/") {
			v.add("spec.sandbox.quota."+name, "spec.sandbox.quota: %q is not a quota resource labgrade sets (%s, or count/RESOURCE.GROUP)", name, strings.Join(slices.Sorted(maps.Keys(spec.DefaultQuota)), ", "))
		} else if _, err := resource.ParseQuantity(s.Sandbox.Quota[name]); err != nil {
			v.add("spec.sandbox.quota."+name, "spec.sandbox.quota.%s: %q is not a quantity", name, s.Sandbox.Quota[name])
		}
	}
	for _, p := range s.Submission.Limits.Problems() {
		v.add("spec.submission.limits."+p.Field, "%s", p.Msg)
	}
	for i := range s.Submission.Allow {
		v.allowed(fmt.Sprintf("spec.submission.allow[%d]", i), &s.Submission.Allow[i])
	}
	for i, img := range s.Cluster.Images {
		v.image(fmt.Sprintf("spec.cluster.images[%d]", i), img)
	}
	v.nodes(s.Cluster.Nodes)
	for i, a := range s.Cluster.Addons {
		v.path(fmt.Sprintf("spec.cluster.addons[%d].apply", i), a.Apply, false)
		if a.Advertises != "" {
			if errs := validation.IsQualifiedName(a.Advertises); len(errs) > 0 || !strings.Contains(a.Advertises, "/") {
				v.add(fmt.Sprintf("spec.cluster.addons[%d].advertises", i), "advertises %q must be an extended resource name, domain/name (e.g. nvidia.com/gpu)", a.Advertises)
			}
		}
	}
	for i, st := range s.Setup {
		v.path(fmt.Sprintf("spec.setup[%d].apply", i), st.Apply, false)
	}
	if len(s.Checks) == 0 {
		v.add("spec", "spec.checks must list at least one check")
	}
	ids := map[string]int{}
	for i := range s.Checks {
		c := &s.Checks[i]
		if j, dup := ids[c.ID]; dup && c.ID != "" {
			v.add(fmt.Sprintf("spec.checks[%d].id", i), "check id %q is used twice (first by check #%d)", c.ID, j)
		}
		ids[c.ID] = i
	}
	for i := range s.Checks {
		v.check(fmt.Sprintf("spec.checks[%d]", i), &s.Checks[i], ids)
	}
	v.cycles(ids)
}

// allowed checks a cluster-scoped kind the lab lets submissions hold and
// compiles its constraints. Whether the kind is really cluster-scoped is
// known only with a cluster; a namespaced one is refused when applied.
func (v *validator) allowed(path string, a *spec.AllowedKind) {
	if a.APIVersion == "" || a.Kind == "" {
		v.add(path, "%s must name apiVersion and kind", path)
	}
	if a.Max < 0 {
		v.add(path+".max", "%s.max must not be negative", path)
	}
	var progs []*expr.Program
	for i, src := range a.CEL {
		p, err := expr.Compile(expr.Object, src)
		if err != nil {
			v.add(fmt.Sprintf("%s.cel[%d]", path, i), "%s.cel[%d]: %v", path, i, err)
			continue
		}
		progs = append(progs, p)
	}
	a.SetPrograms(progs)
}

// nodes checks the cluster's layout: one control plane, first; label keys
// and values Kubernetes accepts; taints with a key and a known effect.
func (v *validator) nodes(nodes []spec.Node) {
	for i, n := range nodes {
		at := fmt.Sprintf("spec.cluster.nodes[%d]", i)
		switch {
		case n.Role == "control-plane" && i > 0:
			v.add(at+".role", "the control-plane node must be the first, and the only one")
		case n.Role == "worker" && i == 0:
			v.add(at+".role", "the first node must be the control plane (role: control-plane)")
		case n.Role != "control-plane" && n.Role != "worker":
			v.add(at+".role", "role must be control-plane or worker, not %q", n.Role)
		}
		for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				v.add(at+".labels", "label key %q: %s", k, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(n.Labels[k]); len(errs) > 0 {
				v.add(at+".labels", "label value %q: %s", n.Labels[k], strings.Join(errs, "; "))
			}
		}
		for j, t := range n.Taints {
			tat := fmt.Sprintf("%s.taints[%d]", at, j)
			if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
				v.add(tat+".key", "taint key %q: %s", t.Key, strings.Join(errs, "; "))
			}
			if t.Value != "" {
				if errs := validation.IsValidLabelValue(t.Value); len(errs) > 0 {
					v.add(tat+".value", "taint value %q: %s", t.Value, strings.Join(errs, "; "))
				}
			}
			if t.Effect != "NoSchedule" && t.Effect != "PreferNoSchedule" && t.Effect != "NoExecute" {
				v.add(tat+".effect", "effect must be NoSchedule, PreferNoSchedule or NoExecute, not %q", t.Effect)
			}
		}
	}
	if len(nodes) > 4 {
		v.add("spec.cluster.nodes", "%d nodes: at most 4 (each is a container with a kubelet and a container runtime)", len(nodes))
	}
}

func (v *validator) image(path string, img spec.Image) {
	name, tag := img.Name, ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	if name == "" || tag == "" || tag == "latest" {
		v.add(path+".name", "image %q needs an explicit tag other than latest, so nodes never try to pull it", img.Name)
	}
	if v.path(path+".build", img.Build, true) {
		if _, err := os.Stat(filepath.Join(v.lab.Dir, img.Build, "Dockerfile")); err != nil {
			v.add(path+".build", "image build directory %q has no Dockerfile", img.Build)
		}
	}
}

// path checks that a lab-relative path exists (a directory when dir is set).
func (v *validator) path(at, rel string, dir bool) bool {
	if rel == "" {
		v.add(at, "%s must not be empty", lastSegment(at))
		return false
	}
	if filepath.IsAbs(rel) {
		v.add(at, "%q must be relative to the lab directory", rel)
		return false
	}
	st, err := os.Stat(filepath.Join(v.lab.Dir, rel))
	switch {
	case err != nil:
		v.add(at, "%q does not exist (relative to %s)", rel, v.lab.Dir)
		return false
	case dir && !st.IsDir():
		v.add(at, "%q is not a directory", rel)
		return false
	}
	return true
}

func (v *validator) check(path string, c *spec.Check, ids map[string]int) {
	if !dnsLabel.MatchString(c.ID) {
		v.add(path+".id", "check id %q must be lower-case letters, digits and '-'", c.ID)
	}
	where := fmt.Sprintf("check %q", c.ID)
	if c.Title == "" {
		v.add(path+".title", "title of %s must not be empty", where)
	}
	if c.Points <= 0 {
		v.add(path+".points", "points of %s must be more than 0, not %d", where, c.Points)
	}
	switch c.Severity {
	case spec.SeverityRequired, spec.SeverityRecommended:
	default:
		v.add(path+".severity", "severity of %s must be required or recommended, not %q", where, c.Severity)
	}
	switch c.Visibility {
	case spec.VisibilityVisible, spec.VisibilityHidden:
	default:
		v.add(path+".visibility", "visibility of %s must be visible or hidden, not %q", where, c.Visibility)
	}
	if c.Timeout.Duration < 0 {
		v.add(path+".timeout", "timeout of %s must be positive", where)
	}
	for i, d := range c.DependsOn {
		j, ok := ids[d]
		if !ok {
			v.add(fmt.Sprintf("%s.dependsOn[%d]", path, i), "%s depends on %q, which is not a check of this lab", where, d)
			continue
		}
		// rollout checks run after all others, so the reverse would wait forever
		if dep := &v.lab.Spec.Checks[j]; dep.IsDisruptive() && !c.IsDisruptive() {
			v.add(fmt.Sprintf("%s.dependsOn[%d]", path, i), "%s depends on rollout check %q, which runs after every other check; only another rollout check may depend on it", where, d)
		}
	}
	given := c.Given()
	for _, k := range given {
		k.Validate(&kindValidator{v: v, path: path + "." + spec.KindName(k), check: c})
	}
	if len(given) != 1 {
		v.add(path, "%s must have exactly one of %s (it has %d)", where, orList(spec.KindNames), len(given))
	}
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func (v *validator) declaredImage(ref string) bool {
	return slices.ContainsFunc(v.lab.Spec.Cluster.Images, func(img spec.Image) bool { return img.Name == ref })
}

// kindValidator is the loader as one check's kind sees it (spec.Validator):
// field paths relative to the kind, placed at their line and column.
type kindValidator struct {
	v     *validator
	path  string // the kind's JSON path, spec.checks[2].http
	check *spec.Check
}

func (k *kindValidator) Where() string { return fmt.Sprintf("check %q", k.check.ID) }

func (k *kindValidator) at(field string) string {
	if field == "" {
		return k.path
	}
	return k.path + "." + field
}

func (k *kindValidator) Problemf(field, format string, args ...any) {
	k.v.add(k.at(field), format, args...)
}

func (k *kindValidator) LabPath(field, rel string) bool { return k.v.path(k.at(field), rel, false) }

func (k *kindValidator) DeclaredImage(ref string) bool { return k.v.declaredImage(ref) }

func (k *kindValidator) CEL(field string, env expr.Env, srcs []string) []*expr.Program {
	var progs []*expr.Program
	for i, src := range srcs {
		p, err := expr.Compile(env, src)
		if err != nil {
			k.v.add(fmt.Sprintf("%s[%d]", k.at(field), i), "%s: %v", k.Where(), err)
			continue
		}
		progs = append(progs, p)
	}
	return progs
}

// cycles reports dependsOn loops, which would deadlock the runner.
func (v *validator) cycles(ids map[string]int) {
	checks := v.lab.Spec.Checks
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(checks))
	var visit func(i int, trail []string) bool
	visit = func(i int, trail []string) bool {
		switch state[i] {
		case active:
			v.add(fmt.Sprintf("spec.checks[%d].dependsOn", i), "dependsOn forms a loop: %s", strings.Join(append(trail, checks[i].ID), " -> "))
			return false
		case done:
			return true
		}
		state[i] = active
		for _, d := range checks[i].DependsOn {
			if j, ok := ids[d]; ok && !visit(j, append(trail, checks[i].ID)) {
				return false
			}
		}
		state[i] = done
		return true
	}
	for i := range checks {
		if state[i] == unseen && !visit(i, nil) {
			return
		}
	}
}
