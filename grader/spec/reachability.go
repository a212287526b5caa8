package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ReachabilityCheck tests the network as a pod sees it: for each probe the
// grader starts a short-lived pod in the grading namespace with exactly the
// labels the lab gives, and runs attempts in it (kubectl exec's way): each
// opens one TCP connection to a Service's cluster IP and port (with path,
// an HTTP GET that must answer 200) or resolves a DNS name. Each outcome,
// reached or blocked, must be the one the lab expects under the
// NetworkPolicies in force. Policies take effect asynchronously in every
// implementation, so a probe whose outcome differs is tried again until it
// matches or its window (counted from the moment its pod runs) ends; a
// check failing therefore takes its whole window.
//
// A blocked probe proves something only if the target would answer an
// allowed client. A Service of the grading namespace must therefore have a
// ready endpoint (counted as the rollout kinds count them) when a probe is
// blocked from it, or the probe does not count as blocked; pair each
// expected blocked with an expected reach to the same target all the same,
// which also proves the endpoint answers. A dns probe expected blocked
// should name a name that exists.
//
// The first attempt is made a second after the API server has published
// the probe pod's IP: a policy engine learns of a new pod from the API
// server, and an attempt made before it has would be judged as an unknown
// pod's.
//
// What it trusts: the probe's exit status and one-line output (the
// grader's image, the grader's command), read through the API server. The
// learner is an admin of the namespace the probe pods run in, so the grader
// watches each pod from its creation to its deletion: a pod whose labels,
// image or arguments change, that is given an ephemeral container or is
// deleted makes the check an error, never a pass. The probe pods carry a
// readiness probe that always fails, so one that carries a Service's
// selector labels never becomes its endpoint.
//
//labgrade:checkkind reachability Reachability: short-lived probe pods with the labels the lab gives connect to Services (or resolve names), and each attempt must succeed or fail as the lab expects, under the NetworkPolicies in force.
type ReachabilityCheck struct {
	// ProbeImage runs the probes: labgrade's netpol image
	// (fixtures/images/netpol), one of spec.cluster.images (default
	// labgrade.local/netpol:1.0).
	ProbeImage string `json:"probeImage,omitempty"`
	// AttemptTimeout is how long one connection attempt (or name lookup)
	// waits before it counts as blocked (default 2s, at most 30s). A
	// connection a NetworkPolicy blocks is usually dropped, not refused,
	// so a blocked probe always waits this long: keep it short.
	AttemptTimeout Duration `json:"attemptTimeout,omitempty"`
	// Window is how long a probe's attempts go on, counted from the moment
	// its pod runs, before its last outcome stands (default 15s): time
	// for the policies to take effect. A failing probe takes its whole
	// window; the check's timeout (90s by default) also covers the probe
	// pods' start, slow on a loaded node.
	Window Duration `json:"window,omitempty"`
	// Probes are the connections tried, each with the outcome expected.
	Probes []Probe `json:"probes" jsonschema:"minItems=1"`
}

// Probe is one connection attempt, from a pod with given labels to a
// Service port or a DNS name, and its expected outcome.
type Probe struct {
	// Name labels the probe in messages (default: "from {app=gateway} to
	// service model-server:8080", from its source and target).
	Name string `json:"name,omitempty"`
	// From is the pod the probe runs in, always in the grading namespace.
	From ProbeSource `json:"from,omitempty"`
	// To is what the probe connects to: a Service's port, or a name to
	// resolve.
	To ProbeTarget `json:"to"`
	// Expect is reach (the connection, or the lookup, must succeed) or
	// blocked (it must fail).
	Expect string `json:"expect" jsonschema:"enum=reach,enum=blocked"`
}

// ProbeSource is the probe pod as NetworkPolicies see it.
type ProbeSource struct {
	// Labels of the probe pod, exactly these and no other (an extra label
	// could change which policies select it); none, an unlabelled pod.
	Labels map[string]string `json:"labels,omitempty"`
}

// ProbeTarget is a Service port to connect to, or a DNS name to resolve:
// exactly one of service (with port) and dns.
type ProbeTarget struct {
	// Service connected to, by its cluster IP (not its DNS name, so that a
	// pod whose policy forbids DNS still tests the connection itself).
	Service string `json:"service,omitempty"`
	// Namespace of the Service (default: the lab namespace).
	Namespace string `json:"namespace,omitempty" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Port of the Service (its port, not its targetPort), TCP.
	Port int32 `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
	// Path, when set, makes the probe an HTTP GET of this path, which must
	// answer 200 to count as reached.
	Path string `json:"path,omitempty"`
	// DNS is a name to resolve with the probe pod's resolver instead of a
	// connection (a short name resolves in the grading namespace).
	DNS string `json:"dns,omitempty"`
}

// The outcomes a probe may be expected to have.
const (
	ProbeReach   = "reach"
	ProbeBlocked = "blocked"
)

// DefaultProbeImage is the image probes run when the lab names none.
const DefaultProbeImage = "labgrade.local/netpol:1.0"

// maxAttemptTimeout bounds one attempt: the probe pod's active deadline
// is derived from it, and a longer wait only slows failing grades.
const maxAttemptTimeout = 30 * time.Second

// maxWindow bounds a probe's window: policies take effect in seconds, and
// a failing probe takes its whole window.
const maxWindow = 5 * time.Minute

// String is the probe's source as messages say it: "{app=gateway,tier=web}",
// "{}" for an unlabelled pod.
func (s ProbeSource) String() string {
	pairs := make([]string, 0, len(s.Labels))
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		pairs = append(pairs, k+"="+s.Labels[k])
	}
	return "{" + strings.Join(pairs, ",") + "}"
}

// String is the target as messages say it: "service model-server:8080",
// "service ops/registry:5000", "resolve drift-monitor".
func (t ProbeTarget) String() string {
	if t.DNS != "" {
		return "resolve " + t.DNS
	}
	svc := t.Service
	if t.Namespace != "" {
		svc = t.Namespace + "/" + svc
	}
	return fmt.Sprintf("to service %s:%d", svc, t.Port)
}

// String is the probe as messages name it: its name, or "from {app=gateway}
// to service model-server:8080".
func (p Probe) String() string {
	if p.Name != "" {
		return p.Name
	}
	return "from " + p.From.String() + " " + p.To.String()
}

// Default runs the probes with labgrade's netpol image, 2s attempts and a
// 15s window; the check's timeout (90s unless the lab gives one) bounds
// the probe pods' start as well.
func (r *ReachabilityCheck) Default(c *Check) {
	if r.ProbeImage == "" {
		r.ProbeImage = DefaultProbeImage
	}
	if r.AttemptTimeout.Duration == 0 {
		r.AttemptTimeout.Duration = 2 * time.Second
	}
	if r.Window.Duration == 0 {
		r.Window.Duration = 15 * time.Second
	}
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = 90 * time.Second
	}
}

// Validate checks the image, the timeout and every probe: labels a pod may
// carry, exactly one target, an expectation, and no probe twice.
func (r *ReachabilityCheck) Validate(v Validator) {
	where := v.Where()
	if !v.DeclaredImage(r.ProbeImage) {
		v.Problemf("probeImage", "probeImage in %s must be one of spec.cluster.images (the nodes cannot pull it), not %q", where, r.ProbeImage)
	}
	if d := r.AttemptTimeout.Duration; d <= 0 || d > maxAttemptTimeout {
		v.Problemf("attemptTimeout", "attemptTimeout in %s must be more than 0 and at most %s, not %s", where, maxAttemptTimeout, d)
	}
	if d := r.Window.Duration; d < time.Second || d > maxWindow {
		v.Problemf("window", "window in %s must be at least 1s and at most %s, not %s", where, maxWindow, d)
	}
	if len(r.Probes) == 0 {
		v.Problemf("", "reachability in %s needs probes: the connections to try", where)
	}
	type key struct {
		from string
		to   ProbeTarget
	}
	seen := map[key]int{}
	names := map[string]int{}
	for i, p := range r.Probes {
		at := fmt.Sprintf("probes[%d]", i)
		p.validate(v, at)
		k := key{p.From.String(), p.To}
		if j, dup := seen[k]; dup {
			v.Problemf(at, "%s in %s tries %s again (first probes[%d])", at, where, "from "+p.From.String()+" "+p.To.String(), j)
		} else {
			seen[k] = i
		}
		if p.Name == "" {
			continue
		}
		if j, dup := names[p.Name]; dup {
			v.Problemf(at+".name", "name %q in %s is also probes[%d]'s: messages could not tell them apart", p.Name, where, j)
		} else {
			names[p.Name] = i
		}
	}
}

// validate reports the problems of one probe, at is its field path.
func (p Probe) validate(v Validator, at string) {
	where := v.Where()
	for _, k := range slices.Sorted(maps.Keys(p.From.Labels)) {
		field := at + ".from.labels." + k
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.Problemf(field, "label key %q of %s in %s is not a valid label key: %s", k, at, where, errs[0])
		}
		if errs := validation.IsValidLabelValue(p.From.Labels[k]); len(errs) > 0 {
			v.Problemf(field, "label %s=%q of %s in %s is not a valid label value: %s", k, p.From.Labels[k], at, where, errs[0])
		}
	}
	p.To.validate(v, at+".to")
	if p.Expect != ProbeReach && p.Expect != ProbeBlocked {
		v.Problemf(at+".expect", "expect of %s in %s must be reach or blocked, not %q", at, where, p.Expect)
	}
}

// validate reports the problems of a target, at is its field path: exactly
// one of a Service port and a DNS name, each well formed.
func (t ProbeTarget) validate(v Validator, at string) {
	where := v.Where()
	switch {
	case t.Service == "" && t.DNS == "":
		v.Problemf(at, "%s in %s needs service and port, or dns", at, where)
		return
	case t.Service != "" && t.DNS != "":
		v.Problemf(at, "%s in %s has both service and dns: give one (a connection or a name lookup)", at, where)
		return
	}
	if t.DNS != "" {
		if errs := validation.IsDNS1123Subdomain(strings.TrimSuffix(t.DNS, ".")); len(errs) > 0 {
			v.Problemf(at+".dns", "dns %q in %s is not a valid name to resolve: %s", t.DNS, where, errs[0])
		}
		for _, f := range []struct {
			field string
			set   bool
		}{{"namespace", t.Namespace != ""}, {"port", t.Port != 0}, {"path", t.Path != ""}} {
			if f.set {
				v.Problemf(at+"."+f.field, "%s of %s in %s goes with service, not with dns", f.field, at, where)
			}
		}
		return
	}
	if errs := validation.IsDNS1035Label(t.Service); len(errs) > 0 {
		v.Problemf(at+".service", "service %q in %s is not a valid Service name: %s", t.Service, where, errs[0])
	}
	if t.Namespace != "" && len(validation.IsDNS1123Label(t.Namespace)) > 0 {
		v.Problemf(at+".namespace", "namespace %q in %s is not a valid namespace name", t.Namespace, where)
	}
	if t.Port < 1 || t.Port > 65535 {
		v.Problemf(at+".port", "port of %s in %s must be a Service port from 1 to 65535, not %d", at, where, t.Port)
	}
	if t.Path != "" {
		requestPath(v, at+".path", "path of "+at, t.Path)
	}
}

// Subject is the first probe's Service, when it is in the lab namespace
// (the subject carries no namespace).
func (r *ReachabilityCheck) Subject() (apiVersion, kind, name string) {
	if len(r.Probes) == 0 {
		return "", "", ""
	}
	if t := r.Probes[0].To; t.Service != "" && t.Namespace == "" {
		return "v1", "Service", t.Service
	}
	return "", "", ""
}

// Effects: the check starts pods in the grading namespace, so it is not
// quick; it changes none of the learner's objects and sends a connection
// per attempt, not sustained traffic.
func (r *ReachabilityCheck) Effects() Effects { return Effects{} }
