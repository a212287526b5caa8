package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// What --quick keeps: checks that read the cluster or send one request.
// Traffic phases, rollouts and containers stay out, and so does a check
// whose kind is unknown here.
func TestCheckCost(t *testing.T) {
	cases := []struct {
		name                       string
		c                          Check
		quick, traffic, disruptive bool
	}{
		{"resource", Check{Kinds: Kinds{Resource: &ResourceCheck{}}}, true, false, false},
		{"absent", Check{Kinds: Kinds{Absent: &AbsentCheck{}}}, true, false, false},
		{"http: one request", Check{Kinds: Kinds{HTTP: &HTTPCheck{}}}, true, false, false},
		{"access", Check{Kinds: Kinds{Access: &AccessCheck{}}}, true, false, false},
		{"drift config", Check{Kinds: Kinds{Drift: &DriftCheck{}}}, true, false, false},
		{"drift behaviour", Check{Kinds: Kinds{Drift: &DriftCheck{Behaviour: &DriftBehaviour{}}}}, false, true, false},
		{"rollout", Check{Kinds: Kinds{Rollout: &RolloutCheck{}}}, false, true, true},
		{"rolloutHalts", Check{Kinds: Kinds{RolloutHalts: &RolloutHaltsCheck{}}}, false, true, true},
		{"container", Check{Kinds: Kinds{Container: &ContainerCheck{}}}, false, false, false},
		{"no kind known", Check{}, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.quick, c.c.IsQuick(), "IsQuick")
			assert.Equal(t, c.traffic, c.c.SendsTraffic(), "SendsTraffic")
			assert.Equal(t, c.disruptive, c.c.IsDisruptive(), "IsDisruptive")
		})
	}
}

// A failure is pointed at the object a check is about, when there is one.
func TestCheckSubject(t *testing.T) {
	target := Target{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	cases := []struct {
		name string
		c    Check
		want [3]string
	}{
		{"resource by name", Check{Kinds: Kinds{Resource: &ResourceCheck{Target: target}}}, [3]string{"apps/v1", "Deployment", "web"}},
		{"resource by selector", Check{Kinds: Kinds{Resource: &ResourceCheck{Target: Target{APIVersion: "v1", Kind: "Pod", Selector: "app=web"}}}}, [3]string{}},
		{"absent", Check{Kinds: Kinds{Absent: &AbsentCheck{Target: target}}}, [3]string{}},
		{"http", Check{Kinds: Kinds{HTTP: &HTTPCheck{Service: "web"}}}, [3]string{"v1", "Service", "web"}},
		{"rollout", Check{Kinds: Kinds{Rollout: &RolloutCheck{DeploymentUpdate: DeploymentUpdate{Deployment: "web"}}}}, [3]string{"apps/v1", "Deployment", "web"}},
		{"rolloutHalts", Check{Kinds: Kinds{RolloutHalts: &RolloutHaltsCheck{DeploymentUpdate: DeploymentUpdate{Deployment: "web"}}}}, [3]string{"apps/v1", "Deployment", "web"}},
		{"drift", Check{Kinds: Kinds{Drift: &DriftCheck{Monitor: "mon"}}}, [3]string{"apps/v1", "Deployment", "mon"}},
		{"access", Check{Kinds: Kinds{Access: &AccessCheck{ServiceAccount: "web"}}}, [3]string{"v1", "ServiceAccount", "web"}},
		{"access in another namespace", Check{Kinds: Kinds{Access: &AccessCheck{ServiceAccount: "web", Namespace: "ops"}}}, [3]string{}},
		{"container", Check{Kinds: Kinds{Container: &ContainerCheck{Image: "x:1"}}}, [3]string{}},
		{"no kind", Check{}, [3]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, k, n := c.c.Subject()
			assert.Equal(t, c.want, [3]string{a, k, n})
		})
	}
}
