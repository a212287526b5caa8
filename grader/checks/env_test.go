package checks

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEnvNamespace: a check that names the lab's namespace grades the
// grading's, which in a shared cluster is another; other namespaces stay.
func TestEnvNamespace(t *testing.T) {
	env := Env{Namespace: "ml-serving-solution", LabNamespace: "ml-serving"}
	assert.Equal(t, "ml-serving-solution", env.ns(""))
	assert.Equal(t, "ml-serving-solution", env.ns("ml-serving"))
	assert.Equal(t, "kube-system", env.ns("kube-system"))
	lone := Env{Namespace: "ml-serving", LabNamespace: "ml-serving"}
	assert.Equal(t, "ml-serving", lone.ns("ml-serving"))
}
