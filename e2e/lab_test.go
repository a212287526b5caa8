//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/labgrade/labgrade/grader/result"
)

// expectFile is broken/<variant>/expect.yaml: the checks the variant must
// fail, and the verdict of the whole run (not-passed unless it says).
type expectFile struct {
	Failing []string       `json:"failing"`
	Verdict result.Verdict `json:"verdict,omitempty"`
}

// TestLabK8sServing grades the k8s-serving lab's solution and every broken
// variant with the CLI, on one kind cluster reused across the runs (the lab
// namespace is reset each time): the solution must score 100 % and exit 0,
// each variant must exit 1 and fail exactly the checks its expect.yaml names.
func TestLabK8sServing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	labDir := filepath.Join(repoRoot, "labs", "k8s-serving")
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", "k8s-serving")
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, "labgrade-k8s-serving")
	})

	// The learner's loop: up (cluster + scenario), apply and check.
	t.Run("up", func(t *testing.T) {
		res := labgrade(t, ctx, "up", "k8s-serving", "--labs-dir", "labs")
		require.Equal(t, 0, res.code, "stderr:\n%s", res.stderr)
		assert.Contains(t, res.stdout, "export KUBECONFIG=")
		t.Logf("up in %.1fs", res.took.Seconds())
	})
	t.Run("check/solution", func(t *testing.T) {
		res := labgrade(t, ctx, "check", "k8s-serving", "--labs-dir", "labs", "--submission", filepath.Join(labDir, "solution"), "-o", "json")
		require.Equal(t, 0, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
		var r result.Result
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &r))
		assert.Equal(t, r.MaxScore, r.Score)
		t.Logf("check in %.1fs", res.took.Seconds())
	})

	t.Run("run/solution", func(t *testing.T) {
		res, r := gradeSubmission(t, ctx, filepath.Join(labDir, "solution"))
		require.Equal(t, 0, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
		assert.Equal(t, r.MaxScore, r.Score)
		assert.True(t, r.Passed)
		assert.Empty(t, r.Problems)
		for _, c := range r.Checks {
			assert.Equal(t, result.Pass, c.Outcome, "%s: %s", c.ID, c.Message)
		}
	})

	variants, err := filepath.Glob(filepath.Join(labDir, "broken", "*"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(variants), 2, "the lab needs broken variants")
	for _, dir := range variants {
		t.Run("run/broken/"+filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "expect.yaml"))
			require.NoError(t, err)
			var want expectFile
			require.NoError(t, yaml.UnmarshalStrict(raw, &want))
			require.NotEmpty(t, want.Failing, "expect.yaml must name failing checks")
			if want.Verdict == "" {
				want.Verdict = result.NotPassed
			}
			res, r := gradeSubmission(t, ctx, dir)
			wantCode := map[result.Verdict]int{result.Passed: 0, result.NotPassed: 1}[want.Verdict]
			require.Equal(t, wantCode, res.code, "verdict %s expected; stdout:\n%s\nstderr:\n%s", want.Verdict, res.stdout, res.stderr)
			got := r.Failing()
			sort.Strings(got)
			sort.Strings(want.Failing)
			assert.Equal(t, want.Failing, got, "failing checks; report:\n%s", res.stdout)
			for _, c := range r.Checks {
				assert.NotEqual(t, result.Error, c.Outcome, "%s ended in error: %s", c.ID, c.Message)
			}
		})
	}
}

// gradeSubmission runs `labgrade run k8s-serving --reuse` on a submission
// and decodes the JSON report.
func gradeSubmission(t *testing.T, ctx context.Context, dir string) (cli, *result.Result) {
	t.Helper()
	res := labgrade(t, ctx, "run", "k8s-serving", "--labs-dir", "labs", "--submission", dir, "--reuse", "-o", "json")
	var r result.Result
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &r), "JSON report; stderr:\n%s", res.stderr)
	assert.Equal(t, result.SchemaVersion, r.SchemaVersion)
	var phases []string
	for _, p := range r.Phases {
		phases = append(phases, p.Name+"="+trimFloat(p.Seconds)+"s")
	}
	t.Logf("exit %d, score %d/%d, %.1fs; phases: %s", res.code, r.Score, r.MaxScore, res.took.Seconds(), strings.Join(phases, " "))
	return res, &r
}

func trimFloat(f float64) string {
	b, _ := json.Marshal(float64(int(f*10)) / 10)
	return string(b)
}

// TestLabTypo: a misspelt field in lab.yaml stops labgrade before any
// cluster work, with exit 2 and the file, line and column.
func TestLabTypo(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "labs", "k8s-serving", "lab.yaml"))
	require.NoError(t, err)
	labs := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(labs, "k8s-serving"), 0o755))
	bad := strings.Replace(string(raw), "    points: 10\n", "    pionts: 10\n", 1)
	require.NotEqual(t, string(raw), bad)
	file := filepath.Join(labs, "k8s-serving", "lab.yaml")
	require.NoError(t, os.WriteFile(file, []byte(bad), 0o644))
	at := strings.Index(bad, "pionts")
	line := 1 + strings.Count(bad[:at], "\n")
	idAt := strings.LastIndex(bad[:at], "- id: ")
	check := strings.TrimSpace(strings.SplitN(bad[idAt+len("- id: "):], "\n", 2)[0])

	res := labgrade(t, context.Background(), "run", "k8s-serving", "--labs-dir", labs, "--submission", labs)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, file+":"+itoa(line)+":5: field \"pionts\" not allowed in check \""+check+"\" (did you mean \"points\"?)")
	assert.Less(t, res.took, 20*time.Second, "refused before any cluster work")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
