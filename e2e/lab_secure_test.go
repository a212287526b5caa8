//go:build e2e

package e2e

import "testing"

// TestLabSecureServing proves the secure-serving lab with labgrade lab
// test on a cluster of its own: the solution scores 100 % and every broken
// variant fails exactly what it declares. The cluster gets the lab's
// NetworkPolicy enforcer as an addon, so this is also the end-to-end test
// of addons and of the reachability check kind: probe pods that must get
// through, and probe pods that a policy must stop (a policy that selects
// no pod, and DNS left out of an egress policy, are variants).
func TestLabSecureServing(t *testing.T) {
	t.Parallel()
	lane(t, 200)
	proveLabAlone(t, "secure-serving")
}
