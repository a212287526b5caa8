package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/labgrade/labgrade/grader/drift"
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
	for i, img := range s.Cluster.Images {
		v.image(fmt.Sprintf("spec.cluster.images[%d]", i), img)
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
	v.lab.CEL = map[string][]*expr.Program{}
	for i := range s.Checks {
		v.check(fmt.Sprintf("spec.checks[%d]", i), &s.Checks[i], ids)
	}
	v.cycles(ids)
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
	kinds := 0
	if c.Resource != nil {
		kinds++
		v.target(path+".resource", where, c.Resource.Target)
		v.cel(path+".resource.cel", c.ID, expr.Object, c.Resource.CEL)
	}
	if c.Absent != nil {
		kinds++
		v.target(path+".absent", where, c.Absent.Target)
		v.cel(path+".absent.cel", c.ID, expr.Object, c.Absent.CEL)
	}
	if h := c.HTTP; h != nil {
		kinds++
		if h.Service == "" {
			v.add(path+".http", "http in %s needs a service", where)
		}
		if h.Port.IsZero() {
			v.add(path+".http", "http in %s needs a port", where)
		}
		if !strings.HasPrefix(h.Path, "/") {
			v.add(path+".http.path", "http path in %s must start with '/'", where)
		}
		v.cel(path+".http.cel", c.ID, expr.HTTP, h.CEL)
	}
	if r := c.Rollout; r != nil {
		kinds++
		v.update(path+".rollout", where, r.DeploymentUpdate)
		v.traffic(path+".rollout", where, r.Traffic)
	}
	if r := c.RolloutHalts; r != nil {
		kinds++
		v.update(path+".rolloutHalts", where, r.DeploymentUpdate)
		v.traffic(path+".rolloutHalts", where, r.Traffic)
		if r.MaxProgressDeadline.Duration <= 0 {
			v.add(path+".rolloutHalts", "rolloutHalts in %s needs maxProgressDeadline", where)
		}
	}
	if d := c.Drift; d != nil {
		kinds++
		v.drift(path+".drift", where, d)
	}
	if k := c.Container; k != nil {
		kinds++
		if k.Image == "" {
			v.add(path+".container", "container in %s needs an image", where)
		}
		for i, r := range k.Requests {
			if !strings.HasPrefix(r.Path, "/") {
				v.add(fmt.Sprintf("%s.container.requests[%d].path", path, i), "request path in %s must start with '/'", where)
			}
		}
	}
	if kinds != 1 {
		v.add(path, "%s must have exactly one of resource, absent, http, rollout, rolloutHalts, drift or container (it has %d)", where, kinds)
	}
}

func (v *validator) drift(path, where string, d *spec.DriftCheck) {
	if d.Monitor == "" {
		v.add(path, "drift in %s needs monitor, the monitor's Deployment", where)
	}
	if len(d.Features) == 0 {
		v.add(path, "drift in %s needs features, the model's inputs", where)
	}
	types := map[string]string{}
	for i, f := range d.Features {
		at := fmt.Sprintf("%s.features[%d]", path, i)
		if _, dup := types[f.Name]; dup || f.Name == "" {
			v.add(at+".name", "feature name %q in %s is empty or repeated", f.Name, where)
		}
		if f.Type != "numeric" && f.Type != "categorical" {
			v.add(at+".type", "feature %s in %s must be numeric or categorical, not %q", f.Name, where, f.Type)
		}
		types[f.Name] = f.Type
	}
	v.path(path+".reference", d.Reference, false)
	for typ, tests := range d.Rules.Tests {
		if typ != "numeric" && typ != "categorical" {
			v.add(path+".rules.tests", "rules.tests in %s is keyed by feature type (numeric, categorical), not %q", where, typ)
		}
		for _, t := range tests {
			if !slices.Contains(drift.Tests, t) {
				v.add(path+".rules.tests", "rules.tests in %s names unknown test %q (one of %s)", where, t, strings.Join(drift.Tests, ", "))
			} else if (t == drift.TestChi2) != (typ == "categorical") {
				v.add(path+".rules.tests", "rules.tests in %s: %s does not fit %s features", where, t, typ)
			}
		}
	}
	if len(d.Rules.Tests) == 0 {
		v.add(path+".rules", "rules in %s must list the accepted tests per feature type", where)
	}
	for t, r := range d.Rules.Thresholds {
		if !slices.Contains(drift.Tests, t) {
			v.add(path+".rules.thresholds", "rules.thresholds in %s names unknown test %q", where, t)
		}
		if r.Min > r.Max {
			v.add(path+".rules.thresholds", "rules.thresholds.%s in %s has min %g above max %g", t, where, r.Min, r.Max)
		}
	}
	b := d.Behaviour
	if b == nil {
		return
	}
	v.traffic(path+".behaviour", where, b.Traffic)
	if len(b.Drift) == 0 {
		v.add(path+".behaviour", "behaviour in %s needs drift: the features to shift", where)
	}
	for i, f := range b.Drift {
		if typ, ok := types[f.Feature]; !ok || typ != "numeric" {
			v.add(fmt.Sprintf("%s.behaviour.drift[%d].feature", path, i), "drift in %s shifts %q, which is not a numeric feature of the check", where, f.Feature)
		}
		if f.Shift == 0 && (f.Scale == 0 || f.Scale == 1) {
			v.add(fmt.Sprintf("%s.behaviour.drift[%d]", path, i), "drift of %s in %s changes nothing: give shift or a scale other than 1", f.Feature, where)
		}
	}
}

func (v *validator) update(path, where string, u spec.DeploymentUpdate) {
	if u.Deployment == "" || u.Image == "" {
		v.add(path, "%s must name the deployment and the image to set", where)
	}
	if u.Image != "" && !v.declaredImage(u.Image) {
		v.add(path+".image", "%s sets image %q, which is not one of spec.cluster.images (nodes cannot pull it)", where, u.Image)
	}
}

func (v *validator) traffic(path, where string, t spec.Traffic) {
	if t.Service == "" || t.Port.IsZero() {
		v.add(path, "%s must name the service and port that receive traffic", where)
	}
	if t.Path != "" && !strings.HasPrefix(t.Path, "/") {
		v.add(path+".path", "path in %s must start with '/'", where)
	}
	if !v.declaredImage(t.LoadgenImage) {
		v.add(path+".loadgenImage", "%s needs loadgenImage, one of spec.cluster.images, not %q", where, t.LoadgenImage)
	}
}

func (v *validator) declaredImage(ref string) bool {
	for _, img := range v.lab.Spec.Cluster.Images {
		if img.Name == ref {
			return true
		}
	}
	return false
}

func (v *validator) target(path, where string, t spec.Target) {
	if t.APIVersion == "" || t.Kind == "" {
		v.add(path, "%s must name apiVersion and kind", where)
	}
	if t.Name != "" && t.Selector != "" {
		v.add(path+".selector", "%s gives both name and selector; give one", where)
	}
	if t.Selector != "" {
		if _, err := labels.Parse(t.Selector); err != nil {
			v.add(path+".selector", "selector of %s: %v", where, err)
		}
	}
}

func (v *validator) cel(path, id string, env expr.Env, srcs []string) {
	for i, src := range srcs {
		p, err := expr.Compile(env, src)
		if err != nil {
			v.add(fmt.Sprintf("%s[%d]", path, i), "check %q: %v", id, err)
			continue
		}
		v.lab.CEL[id] = append(v.lab.CEL[id], p)
	}
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
