package spec

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/expr"
)

// fakeValidator records the fields problems are reported at, as the lab
// loader would place them, and declares the images given.
type fakeValidator struct {
	images   []string
	problems map[string][]string // field → messages
}

func (f *fakeValidator) Where() string { return `check "net"` }

func (f *fakeValidator) Problemf(field, format string, args ...any) {
	if f.problems == nil {
		f.problems = map[string][]string{}
	}
	f.problems[field] = append(f.problems[field], fmt.Sprintf(format, args...))
}

func (f *fakeValidator) LabPath(string, string) bool { return true }

func (f *fakeValidator) DeclaredImage(ref string) bool {
	for _, img := range f.images {
		if img == ref {
			return true
		}
	}
	return false
}

func (f *fakeValidator) CEL(string, expr.Env, []string) []*expr.Program { return nil }

func (f *fakeValidator) fields() []string {
	var out []string
	for field := range f.problems {
		out = append(out, field)
	}
	return out
}

// goodReachability is the check the k8s-serving lab would write: the
// gateway reaches the model server, nothing else does, and the drift
// monitor may resolve names.
func goodReachability() *ReachabilityCheck {
	return &ReachabilityCheck{Probes: []Probe{
		{From: ProbeSource{Labels: map[string]string{"app": "gateway"}}, To: ProbeTarget{Service: "model-server", Port: 8080, Path: "/"}, Expect: ProbeReach},
		{To: ProbeTarget{Service: "model-server", Port: 8080}, Expect: ProbeBlocked},
		{From: ProbeSource{Labels: map[string]string{"app": "drift-monitor"}}, To: ProbeTarget{DNS: "model-server"}, Expect: ProbeReach},
		{Name: "registry from the trainer", From: ProbeSource{Labels: map[string]string{"app.kubernetes.io/name": "trainer"}},
			To: ProbeTarget{Service: "registry", Namespace: "ops", Port: 5000}, Expect: ProbeReach},
	}}
}

func TestReachabilityDefaults(t *testing.T) {
	r := &ReachabilityCheck{}
	c := &Check{}
	r.Default(c)
	assert.Equal(t, "labgrade.local/netpol:1.0", r.ProbeImage)
	assert.Equal(t, 2*time.Second, r.AttemptTimeout.Duration)
	assert.Equal(t, 15*time.Second, r.Window.Duration)
	assert.Equal(t, 90*time.Second, c.Timeout.Duration)

	r = &ReachabilityCheck{ProbeImage: "labgrade.local/netpol:2.0", AttemptTimeout: Duration{time.Second}, Window: Duration{5 * time.Second}}
	c = &Check{Timeout: Duration{45 * time.Second}}
	r.Default(c)
	assert.Equal(t, "labgrade.local/netpol:2.0", r.ProbeImage, "the lab's image is kept")
	assert.Equal(t, time.Second, r.AttemptTimeout.Duration)
	assert.Equal(t, 5*time.Second, r.Window.Duration)
	assert.Equal(t, 45*time.Second, c.Timeout.Duration, "the lab's timeout is kept")
}

func TestReachabilityValidateGood(t *testing.T) {
	r := goodReachability()
	r.Default(&Check{})
	v := &fakeValidator{images: []string{DefaultProbeImage}}
	r.Validate(v)
	assert.Empty(t, v.problems)
}

// Every problem is reported at its field, relative to the kind.
func TestReachabilityValidateBad(t *testing.T) {
	// set replaces probes[i] of the good check (appends when i is past the end)
	set := func(i int, from map[string]string, to ProbeTarget, expect string) func(*ReachabilityCheck) {
		return func(r *ReachabilityCheck) {
			p := Probe{From: ProbeSource{Labels: from}, To: to, Expect: expect}
			if i == len(r.Probes) {
				r.Probes = append(r.Probes, p)
			} else {
				r.Probes[i] = p
			}
		}
	}
	svc := ProbeTarget{Service: "model-server", Port: 8080}
	cases := []struct {
		name   string
		change func(r *ReachabilityCheck)
		field  string
	}{
		{"image not declared", func(r *ReachabilityCheck) { r.ProbeImage = "busybox:1.36" }, "probeImage"},
		{"negative attempt timeout", func(r *ReachabilityCheck) { r.AttemptTimeout.Duration = -time.Second }, "attemptTimeout"},
		{"attempt timeout too long", func(r *ReachabilityCheck) { r.AttemptTimeout.Duration = time.Minute }, "attemptTimeout"},
		{"window too short", func(r *ReachabilityCheck) { r.Window.Duration = 500 * time.Millisecond }, "window"},
		{"window too long", func(r *ReachabilityCheck) { r.Window.Duration = time.Hour }, "window"},
		{"no probes", func(r *ReachabilityCheck) { r.Probes = nil }, ""},
		{"bad label key", set(1, map[string]string{"bad key": "x"}, svc, ProbeBlocked), "probes[1].from.labels.bad key"},
		{"bad label value", set(1, map[string]string{"app": "no spaces"}, svc, ProbeBlocked), "probes[1].from.labels.app"},
		{"no target", set(1, nil, ProbeTarget{}, ProbeBlocked), "probes[1].to"},
		{"service and dns", set(1, nil, ProbeTarget{Service: "model-server", Port: 8080, DNS: "model-server"}, ProbeBlocked), "probes[1].to"},
		{"no port", set(2, nil, ProbeTarget{Service: "model-server"}, ProbeBlocked), "probes[2].to.port"},
		{"port too high", set(2, nil, ProbeTarget{Service: "model-server", Port: 70000}, ProbeBlocked), "probes[2].to.port"},
		{"negative port", set(2, nil, ProbeTarget{Service: "model-server", Port: -1}, ProbeBlocked), "probes[2].to.port"},
		{"bad service name", set(2, nil, ProbeTarget{Service: "Model_Server", Port: 80}, ProbeBlocked), "probes[2].to.service"},
		{"bad namespace", set(2, nil, ProbeTarget{Service: "x", Namespace: "Ops", Port: 80}, ProbeBlocked), "probes[2].to.namespace"},
		{"path without slash", set(2, nil, ProbeTarget{Service: "x", Port: 80, Path: "healthz"}, ProbeBlocked), "probes[2].to.path"},
		{"bad dns name", set(2, nil, ProbeTarget{DNS: "not a name"}, ProbeBlocked), "probes[2].to.dns"},
		{"port with dns", set(2, nil, ProbeTarget{DNS: "model-server", Port: 53}, ProbeBlocked), "probes[2].to.port"},
		{"path with dns", set(2, nil, ProbeTarget{DNS: "model-server", Path: "/"}, ProbeBlocked), "probes[2].to.path"},
		{"namespace with dns", set(2, nil, ProbeTarget{DNS: "model-server", Namespace: "ops"}, ProbeBlocked), "probes[2].to.namespace"},
		{"no expectation", func(r *ReachabilityCheck) { r.Probes[3].Expect = "" }, "probes[3].expect"},
		{"unknown expectation", func(r *ReachabilityCheck) { r.Probes[3].Expect = "reachable" }, "probes[3].expect"},
		{"same source and target twice", set(4, map[string]string{"app": "gateway"}, ProbeTarget{Service: "model-server", Port: 8080, Path: "/"}, ProbeBlocked), "probes[4]"},
		{"unlabelled twice, once with empty labels", set(4, map[string]string{}, svc, ProbeReach), "probes[4]"},
		{"a name twice", func(r *ReachabilityCheck) {
			r.Probes = append(r.Probes, Probe{Name: "registry from the trainer", To: ProbeTarget{DNS: "registry.ops"}, Expect: ProbeReach})
		}, "probes[4].name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := goodReachability()
			c.change(r)
			r.Default(&Check{})
			v := &fakeValidator{images: []string{DefaultProbeImage}}
			r.Validate(v)
			require.Equal(t, []string{c.field}, v.fields(), "%v", v.problems)
			assert.Contains(t, v.problems[c.field][0], `check "net"`, "messages name the check")
		})
	}
}

// Messages name a probe by its name, or by its source and target.
func TestProbeString(t *testing.T) {
	p := goodReachability().Probes
	assert.Equal(t, "from {app=gateway} to service model-server:8080", p[0].String())
	assert.Equal(t, "from {} to service model-server:8080", p[1].String())
	assert.Equal(t, "from {app=drift-monitor} resolve model-server", p[2].String())
	assert.Equal(t, "registry from the trainer", p[3].String())
	p[3].Name = ""
	assert.Equal(t, "from {app.kubernetes.io/name=trainer} to service ops/registry:5000", p[3].String())
	assert.Equal(t, "{a=1,b=2,c=3}", ProbeSource{Labels: map[string]string{"c": "3", "a": "1", "b": "2"}}.String(), "sorted")
}

func TestReachabilitySubjectAndEffects(t *testing.T) {
	r := goodReachability()
	a, k, n := r.Subject()
	assert.Equal(t, [3]string{"v1", "Service", "model-server"}, [3]string{a, k, n})
	for _, first := range []Probe{r.Probes[2], r.Probes[3]} { // a name; another namespace
		r := &ReachabilityCheck{Probes: []Probe{first}}
		a, k, n := r.Subject()
		assert.Equal(t, [3]string{}, [3]string{a, k, n}, first.String())
	}
	a, k, n = (&ReachabilityCheck{}).Subject()
	assert.Equal(t, [3]string{}, [3]string{a, k, n})

	c := Check{Kinds: Kinds{Reachability: r}}
	assert.False(t, c.IsQuick(), "it starts pods")
	assert.False(t, c.IsDisruptive())
	assert.False(t, c.SendsTraffic())
}
