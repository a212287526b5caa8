package ciinit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestWorkflow(t *testing.T) {
	b, err := Workflow(Options{Lab: "k8s-serving", Submission: "manifests", Version: "v0.3.0"})
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []map[string]any `json:"steps"`
		} `json:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &wf), "valid YAML")
	steps := wf.Jobs["grade"].Steps
	require.NotEmpty(t, steps)
	var runs []string
	for _, s := range steps {
		if r, ok := s["run"].(string); ok {
			runs = append(runs, r)
		}
	}
	all := strings.Join(runs, "\n")
	assert.Contains(t, all, "go install github.com/labgrade/labgrade/cmd/labgrade@v0.3.0")
	assert.Contains(t, all, "labgrade run k8s-serving --submission manifests --ci --junit reports/junit.xml --json reports/result.json")
	assert.NotContains(t, all, "--artifacts", "staff artifacts never go where learners read")

	_, err = Workflow(Options{Lab: "x; rm -rf /"})
	require.Error(t, err, "nothing is pasted into a shell line unchecked")
}

func TestWriteKeepsExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".github", "workflows", "labgrade.yml")
	require.NoError(t, Write(path, Options{Lab: "k8s-serving"}, false))
	require.NoError(t, os.WriteFile(path, []byte("mine"), 0o644))
	err := Write(path, Options{Lab: "k8s-serving"}, false)
	require.ErrorIs(t, err, ErrExists)
	b, _ := os.ReadFile(path)
	assert.Equal(t, "mine", string(b), "the user's file is not overwritten")
	require.NoError(t, Write(path, Options{Lab: "k8s-serving"}, true))
}
