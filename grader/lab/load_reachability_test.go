package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

const reachabilityLab = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  cluster:
    images:
    - {name: labgrade.local/netpol:1.0, build: netpol}
    addons:
    - apply: scenario/enforcer.yaml
  passingScore: 70
  checks:
  - id: isolated
    title: Only the gateway reaches the server
    points: 5
    reachability:
      probes:
      - from: {labels: {app: gateway}}
        to: {service: server, port: 80, path: /healthz}
        expect: reach
      - to: {service: server, port: 80}
        expect: blocked
      - from: {labels: {app: server}}
        to: {dns: monitor}
        expect: reach
`

// A reachability check and a cluster addon load as written, with the
// defaults filled in; each mistake an author can make is refused at its
// file:line:column.
func TestLoadReachabilityAndAddons(t *testing.T) {
	write := func(t *testing.T, content string) string {
		dir := writeLab(t, content)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "netpol"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "netpol", "Dockerfile"), []byte("FROM scratch\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "netpol", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario", "enforcer.yaml"), []byte("{}\n"), 0o644))
		return dir
	}
	l, err := Load(write(t, reachabilityLab))
	require.NoError(t, err)
	c, _ := l.Check("isolated")
	require.NotNil(t, c.Reachability)
	assert.Equal(t, spec.DefaultProbeImage, c.Reachability.ProbeImage)
	assert.Len(t, c.Reachability.Probes, 3)
	assert.False(t, c.IsQuick(), "it starts pods")
	assert.Equal(t, []spec.Addon{{Apply: "scenario/enforcer.yaml"}}, l.Spec.Cluster.Addons)

	cases := []struct{ name, old, new, want string }{
		{"addon file missing", "apply: scenario/enforcer.yaml", "apply: scenario/nope.yaml", `11:14: "scenario/nope.yaml" does not exist`},
		{"probe image not declared", "    reachability:\n", "    reachability:\n      probeImage: labgrade.local/other:1.0\n", `18:19: probeImage in check "isolated" must be one of spec.cluster.images`},
		{"unknown expectation", "expect: blocked", "expect: denied", `23:17: expect of probes[1] in check "isolated" must be reach or blocked, not "denied"`},
		{"port out of range", "{service: server, port: 80}", "{service: server, port: 70000}", `22:37: port of probes[1].to in check "isolated" must be a Service port from 1 to 65535`},
		{"advertises no resource name", "apply: scenario/enforcer.yaml", "apply: scenario/enforcer.yaml\n      advertises: gpu", `12:19: advertises "gpu" must be an extended resource name`},
		{"both service and dns", "to: {dns: monitor}", "to: {dns: monitor, service: server, port: 80}", `25:13: probes[2].to in check "isolated" has both service and dns`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, reachabilityLab, tc.old)
			_, err := Load(write(t, strings.Replace(reachabilityLab, tc.old, tc.new, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
