package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A selection labgrade cannot honour is a usage error (exit 2) that names
// what is wrong, refused before any cluster work.
func TestSelectionUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown id", []string{"check", "k8s-serving", "--only", "deploy-ready,no-such-check"},
			`--only: lab k8s-serving has no check "no-such-check"; its checks are: deploy-ready, deploy-pinned-image,`},
		{"unknown id to skip", []string{"run", "k8s-serving", "--skip", "rollout"},
			`--skip: lab k8s-serving has no check "rollout"; its checks are:`},
		{"nothing left", []string{"check", "k8s-serving", "--quick", "--only", "rollout-halts"},
			"--quick --only rollout-halts leaves no check of lab k8s-serving to grade"},
		{"partial grade for Gradescope", []string{"run", "k8s-serving", "--quick", "--gradescope", "results.json"},
			"--gradescope records a grade, and --quick leaves 3 checks out"},
		{"full without watch", []string{"check", "k8s-serving", "--full"}, "--full goes with --watch"},
		{"full and quick", []string{"check", "k8s-serving", "--watch", "--full", "--quick"}, "--full and --quick contradict each other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(append(c.args, "--labs-dir", "../../labs"), &out, &errb)
			assert.Equal(t, 2, code, errb.String())
			assert.Contains(t, errb.String(), c.want)
			assert.Empty(t, out.String(), "nothing was graded")
		})
	}
}
