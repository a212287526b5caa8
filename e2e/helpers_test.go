//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// assertNoClusterContainers checks Docker for containers kind labelled with
// the cluster's name (running or stopped).
func assertNoClusterContainers(t *testing.T, name string) {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "docker", "ps", "-a", "-q",
		"--filter", "label=io.x-k8s.kind.cluster="+name).CombinedOutput()
	assert.NoError(t, err, string(out))
	assert.Empty(t, strings.TrimSpace(string(out)), "containers of kind cluster %s remain", name)
}
