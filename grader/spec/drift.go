package spec

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/drift"
)

// DriftCheck grades a data-drift monitor that speaks the config format of
// fixtures/images/drift-monitor. The monitor's config is found where its
// Deployment mounts it: the container's -config argument (default
// /etc/drift-monitor/config.yaml), in a ConfigMap volume. The static part
// always runs: the config must be valid, watch exactly the model's features
// with an accepted test and threshold each, keep a large enough window,
// evaluate often enough, and alert somewhere the monitor is allowed to
// reach (an Event sink needs RBAC to create events, asked of the API
// server). With behaviour set, the check then drives traffic and judges
// what the monitor does.
//
//labgrade:checkkind drift Drift: a data-drift monitor is configured well and, with behaviour, flags exactly the drift it is shown.
type DriftCheck struct {
	// Monitor is the monitor's Deployment, in the lab namespace.
	Monitor string `json:"monitor"`
	// Port the monitor serves /status and /window on (default 8080). The
	// grader reads them through the API server's pod proxy.
	Port int `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
	// Features the model takes: the monitor must watch exactly these, each
	// with this type.
	Features []DriftFeature `json:"features"`
	// Reference is the reference dataset (a CSV file with a header row,
	// relative to the lab directory). The grader recomputes the monitor's
	// statistics against it, whatever reference the monitor was given.
	Reference string `json:"reference"`
	// Rules the monitor's config must follow.
	Rules DriftRules `json:"rules"`
	// Behaviour, when set, also sends traffic and judges the monitor by what
	// it does.
	Behaviour *DriftBehaviour `json:"behaviour,omitempty"`
}

// DriftFeature is one input of the model.
type DriftFeature struct {
	// Name of the feature, as the model server logs it.
	Name string `json:"name"`
	// Type is numeric or categorical.
	Type string `json:"type" jsonschema:"enum=numeric,enum=categorical"`
}

// DriftRules are what the lab accepts in a monitor's config.
type DriftRules struct {
	// Tests accepted per feature type, e.g. numeric: [ks, psi].
	Tests map[string][]string `json:"tests"`
	// Thresholds accepted per test: a p-value bound for ks and chi2, a
	// distance for psi, jensenshannon and wasserstein. A test without a
	// range accepts any threshold the monitor accepts.
	Thresholds map[string]Range `json:"thresholds,omitempty"`
	// MinWindow is the fewest samples the window may be sized to
	// (window.size); a window bounded only by duration is refused when set.
	MinWindow int `json:"minWindow,omitempty" jsonschema:"minimum=0"`
	// MaxInterval is the longest time between evaluations.
	MaxInterval Duration `json:"maxInterval,omitempty"`
}

// Range is a closed interval of numbers.
type Range struct {
	// Min is the smallest accepted value.
	Min float64 `json:"min"`
	// Max is the largest accepted value.
	Max float64 `json:"max"`
}

// DriftBehaviour drives the monitor through the model server. Phase one
// sends rows drawn from the reference for a full window: no feature may be
// flagged. Phase two shifts the named features: exactly those must be
// flagged within the deadline, and an alert delivered (an Event on the
// configured object, or a webhook delivery in the monitor's status). In
// each phase, after the traffic stops, the grader reads the monitor's
// window, recomputes every statistic against the lab's reference and
// requires agreement with the monitor's status, so a status that is faked
// or computed from other data fails.
type DriftBehaviour struct {
	// Traffic goes to the model server, whose inference logs must reach
	// the monitor.
	Traffic `json:",inline"`
	// Drift lists the features changed in phase two.
	Drift []FeatureShift `json:"drift"`
	// Deadline of each phase (default 60s).
	Deadline Duration `json:"deadline,omitempty"`
	// Tolerance is the relative difference allowed between the monitor's
	// statistics and the grader's (default 1e-6); p-values are compared
	// to the same amount absolutely.
	Tolerance float64 `json:"tolerance,omitempty" jsonschema:"minimum=0"`
	// MonitorImage is the lab's monitor image (one of spec.cluster.images).
	// When set, the grader reads /status and /window only from a pod that
	// the monitor Deployment controls and that runs this image, and counts
	// an Event alert only when that pod is the Event's reporting instance:
	// an answer made up by another program, or a pod merely labelled like
	// the monitor's, is not believed.
	MonitorImage string `json:"monitorImage,omitempty"`
}

// FeatureShift changes one feature of the rows the load generator sends:
// value*scale + shift.
type FeatureShift struct {
	// Feature name.
	Feature string `json:"feature"`
	// Shift added to every value.
	Shift float64 `json:"shift,omitempty"`
	// Scale multiplying every value (default 1).
	Scale float64 `json:"scale,omitempty"`
}

// Default gives the monitor's port and, with behaviour, the traffic's
// defaults, the phase deadline, the agreement tolerance, a scale of 1 and a
// timeout that fits both phases.
func (d *DriftCheck) Default(c *Check) {
	if d.Port == 0 {
		d.Port = 8080
	}
	b := d.Behaviour
	if b == nil {
		return
	}
	b.Traffic.setDefaults()
	if b.Deadline.Duration == 0 {
		b.Deadline.Duration = 60 * time.Second
	}
	if b.Tolerance == 0 {
		b.Tolerance = 1e-6
	}
	for i := range b.Drift {
		if b.Drift[i].Scale == 0 {
			b.Drift[i].Scale = 1
		}
	}
	if c.Timeout.Duration == 0 {
		// two traffic phases, each bounded by the deadline, plus starting
		// the load generator and waiting for evaluations: a safety net
		c.Timeout.Duration = 3*b.Deadline.Duration + time.Minute
	}
}

// Validate checks the features, the reference file, the rules (tests that
// grader/drift knows, each fit for its feature type) and the behaviour.
func (d *DriftCheck) Validate(v Validator) {
	where := v.Where()
	if d.Monitor == "" {
		v.Problemf("", "drift in %s needs monitor, the monitor's Deployment", where)
	}
	if len(d.Features) == 0 {
		v.Problemf("", "drift in %s needs features, the model's inputs", where)
	}
	types := map[string]string{}
	for i, f := range d.Features {
		at := fmt.Sprintf("features[%d]", i)
		if _, dup := types[f.Name]; dup || f.Name == "" {
			v.Problemf(at+".name", "feature name %q in %s is empty or repeated", f.Name, where)
		}
		if f.Type != "numeric" && f.Type != "categorical" {
			v.Problemf(at+".type", "feature %s in %s must be numeric or categorical, not %q", f.Name, where, f.Type)
		}
		types[f.Name] = f.Type
	}
	v.LabPath("reference", d.Reference)
	for typ, tests := range d.Rules.Tests {
		if typ != "numeric" && typ != "categorical" {
			v.Problemf("rules.tests", "rules.tests in %s is keyed by feature type (numeric, categorical), not %q", where, typ)
		}
		for _, t := range tests {
			if !slices.Contains(drift.Tests, t) {
				v.Problemf("rules.tests", "rules.tests in %s names unknown test %q (one of %s)", where, t, strings.Join(drift.Tests, ", "))
			} else if (t == drift.TestChi2) != (typ == "categorical") {
				v.Problemf("rules.tests", "rules.tests in %s: %s does not fit %s features", where, t, typ)
			}
		}
	}
	if len(d.Rules.Tests) == 0 {
		v.Problemf("rules", "rules in %s must list the accepted tests per feature type", where)
	}
	for t, r := range d.Rules.Thresholds {
		if !slices.Contains(drift.Tests, t) {
			v.Problemf("rules.thresholds", "rules.thresholds in %s names unknown test %q", where, t)
		}
		if r.Min > r.Max {
			v.Problemf("rules.thresholds", "rules.thresholds.%s in %s has min %g above max %g", t, where, r.Min, r.Max)
		}
	}
	b := d.Behaviour
	if b == nil {
		return
	}
	b.Traffic.validate(v, "behaviour")
	if b.MonitorImage != "" && !v.DeclaredImage(b.MonitorImage) {
		v.Problemf("behaviour.monitorImage", "monitorImage in %s must be one of spec.cluster.images, not %q", where, b.MonitorImage)
	}
	if len(b.Drift) == 0 {
		v.Problemf("behaviour", "behaviour in %s needs drift: the features to shift", where)
	}
	for i, f := range b.Drift {
		if typ, ok := types[f.Feature]; !ok || typ != "numeric" {
			v.Problemf(fmt.Sprintf("behaviour.drift[%d].feature", i), "drift in %s shifts %q, which is not a numeric feature of the check", where, f.Feature)
		}
		if f.Shift == 0 && (f.Scale == 0 || f.Scale == 1) {
			v.Problemf(fmt.Sprintf("behaviour.drift[%d]", i), "drift of %s in %s changes nothing: give shift or a scale other than 1", f.Feature, where)
		}
	}
}

// Subject is the monitor's Deployment.
func (d *DriftCheck) Subject() (apiVersion, kind, name string) {
	return "apps/v1", "Deployment", d.Monitor
}

// Effects: the static part reads a Deployment and a ConfigMap and asks one
// SubjectAccessReview, which changes nothing, so it is quick; behaviour
// runs two traffic phases of a set length.
func (d *DriftCheck) Effects() Effects {
	return Effects{SendsTraffic: d.Behaviour != nil, Quick: d.Behaviour == nil}
}
