package scaffold

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/lablint"
)

// A new lab lints clean at once, with and without the rollout examples.
func TestNewLabLintsClean(t *testing.T) {
	loadgen := FindLoadgen(".")
	require.NotEmpty(t, loadgen, "the test runs inside a labgrade checkout")
	for _, gen := range []string{loadgen, ""} {
		dir, err := Write(Options{Name: "demo", Dir: t.TempDir(), LoadgenDir: gen})
		require.NoError(t, err)
		l, err := lab.Load(dir)
		require.NoError(t, err)
		assert.Empty(t, lablint.Lint(l))
		kinds := map[string]bool{}
		for _, c := range l.Spec.Checks {
			kinds[kindOf(c.Resource != nil, "resource")+kindOf(c.Absent != nil, "absent")+kindOf(c.HTTP != nil, "http")+
				kindOf(c.Container != nil, "container")+kindOf(c.Rollout != nil, "rollout")+kindOf(c.RolloutHalts != nil, "rolloutHalts")] = true
		}
		want := []string{"resource", "absent", "http", "container"}
		if gen != "" {
			want = append(want, "rollout", "rolloutHalts")
		}
		for _, k := range want {
			assert.True(t, kinds[k], "an example %s check", k)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, "lab.yaml"))
		assert.Contains(t, string(raw), "# - id: drift-detects", "the drift example is shown")
	}
}

func kindOf(set bool, name string) string {
	if set {
		return name
	}
	return ""
}

// The lab's image program builds outside any Go module, as labgrade builds
// it.
func TestNewLabImageBuildsAnywhere(t *testing.T) {
	dir, err := Write(Options{Name: "demo", Dir: t.TempDir()})
	require.NoError(t, err)
	build := exec.Command("go", "build", "-o", os.DevNull, ".")
	build.Dir = filepath.Join(dir, "images", "web")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off", "GOFLAGS=")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
}

func TestWriteRefuses(t *testing.T) {
	base := t.TempDir()
	_, err := Write(Options{Name: "Bad_Name", Dir: base})
	require.Error(t, err)
	_, err = Write(Options{Name: "demo", Dir: base})
	require.NoError(t, err)
	_, err = Write(Options{Name: "demo", Dir: base})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "already exists"), "nothing is overwritten")
}
