//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/labtest"
	"github.com/labgrade/labgrade/grader/result"
)

// TestLabK8sServing walks the learner's loop (up, then check of the
// solution) and then proves the lab with labgrade lab test on the same
// cluster (the lab namespace is reset for each run): the solution must
// score 100 %, each broken variant must fail exactly the checks its
// expect.yaml names, and no check may end in error.
func TestLabK8sServing(t *testing.T) {
	// The longest test, mostly waiting on traffic phases and rollouts: it
	// starts at once, and the other parallel tests run beside it in two
	// lanes (lane, make e2e's E2E_LANES), each on a cluster of its own.
	t.Parallel()
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
	// The fast loop, on the same cluster (its own cluster would cost a
	// create and the images again); it applies the solution itself, so
	// -run 'TestLabK8sServing/^(up|check-quick)$' runs it alone.
	t.Run("check-quick", func(t *testing.T) {
		checkQuick(t, ctx, labDir, filepath.Join(labDir, "solution"))
	})

	// Several gradings side by side in one session: each namespace's
	// result is its own, whatever its neighbours do.
	// The learner's full check of the lab's own namespace runs meanwhile:
	// a fourth neighbour, and the whole of labgrade check.
	t.Run("check+parallel-namespaces", func(t *testing.T) {
		// the heaviest minutes of the suite: four gradings, seven
		// namespaces with traffic, on one node. Beside two lanes of other
		// clusters, CI's 2 cores averaged 47 runnable tasks and correct
		// rollouts dropped requests or missed their progress deadline; so
		// this part takes a lane, ahead of every waiting test, and one
		// other test runs beside it
		lane(t, laneFirst)
		checked := make(chan struct{})
		go func() {
			defer close(checked)
			res := labgrade(t, ctx, "check", "k8s-serving", "--labs-dir", "labs", "--submission", filepath.Join(labDir, "solution"), "-o", "json")
			assert.Equal(t, 0, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
			var r result.Result
			if assert.NoError(t, json.Unmarshal([]byte(res.stdout), &r)) {
				assert.Equal(t, r.MaxScore, r.Score)
				assert.Equal(t, "ml-serving", r.Namespace)
			}
			t.Logf("check (every check) in %.1fs", res.took.Seconds())
		}()
		gradeInParallelNamespaces(t, ctx, labDir)
		<-checked
	})

	// The instructor's proof, on the same cluster: the solution scores
	// 100 % and every broken variant fails exactly what it declares.
	t.Run("lab-test", func(t *testing.T) {
		proveLab(t, ctx, labDir)
	})
}

// TestLabsProven runs labgrade lab test on every other lab of the
// repository, so that no lab ships unproven.
func TestLabsProven(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "labs", "*", "lab.yaml"))
	require.NoError(t, err)
	var dirs []string
	for _, f := range files {
		switch dir := filepath.Dir(f); filepath.Base(dir) {
		case "k8s-serving": // proven by TestLabK8sServing, with the learner's loop
		case "training-pipeline": // proven by TestLabTrainingPipeline, beside the others
		case "secure-serving": // proven by TestLabSecureServing, beside the others
		case "gpu-scheduling": // proven by TestLabGPUScheduling, with its nodes
		case "data-versioning": // proven by TestLabTrainingPipeline, in its cluster
		default:
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		t.Skip("no lab besides k8s-serving yet")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
			defer cancel()
			proveLab(t, ctx, dir)
		})
	}
}

// proveLabAlone proves labs/NAME with labgrade lab test on a kind cluster
// of its own, removed at the end with labgrade down.
func proveLabAlone(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", name)
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, "labgrade-"+name)
	})
	proveLab(t, ctx, filepath.Join(repoRoot, "labs", name))
}

// proveLab runs labgrade lab test on a lab directory (with flags, e.g. the
// cluster to use) and requires every case as declared, logging each case's
// time and the solution's phases and checks.
func proveLab(t *testing.T, ctx context.Context, dir string, flags ...string) {
	t.Helper()
	res := labgrade(t, ctx, append([]string{"lab", "test", dir, "--keep", "-o", "json"}, flags...)...)
	var rep labtest.Report
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &rep), "JSON report; stderr:\n%s", res.stderr)
	// what went wrong, said again last: CI shows the tail of the output
	var wrong []string
	for _, c := range rep.Cases {
		t.Logf("%-36s %6.1fs  score %d/%d  %s", c.Name, c.Seconds, c.Result.Score, c.Result.MaxScore, strings.Join(c.Mismatches, "; "))
		if len(c.Mismatches) > 0 { // what the checks said, to find out why
			wrong = append(wrong, fmt.Sprintf("case %s: %s", c.Name, strings.Join(c.Mismatches, "; ")))
			for _, ch := range c.Result.Checks {
				if ch.Outcome != result.Pass {
					line := fmt.Sprintf("    %s %s: %s", ch.ID, ch.Outcome, ch.Message)
					if d := ch.Diagnostics; d != nil && d.Summary != "" {
						line += "\n        seen: " + d.Summary
					}
					wrong = append(wrong, line)
				}
			}
		}
		if c.Name == labtest.SolutionCase {
			var phases, checks []string
			for _, p := range c.Result.Phases {
				phases = append(phases, p.Name+"="+trimFloat(p.Seconds)+"s")
			}
			for _, ch := range c.Result.Checks {
				checks = append(checks, ch.ID+"="+trimFloat(ch.DurationSeconds)+"s")
			}
			t.Logf("solution phases: %s", strings.Join(phases, " "))
			t.Logf("solution checks: %s", strings.Join(checks, " "))
		}
	}
	l, err := lab.Load(dir)
	require.NoError(t, err)
	variants, err := lab.Variants(l)
	require.NoError(t, err)
	assert.Len(t, rep.Cases, 1+len(variants), "the solution and every variant ran")
	if !rep.OK || res.code != 0 {
		t.Logf("stderr:\n%s", res.stderr)
		if len(wrong) == 0 {
			sayLast(t, fmt.Sprintf("lab test exited %d; its stderr's tail:", res.code), tail(res.stderr, 20))
		}
	}
	if !assert.Empty(t, wrong, "cases not as declared:\n%s", strings.Join(wrong, "\n")) {
		sayLast(t, wrong...)
	}
	assert.True(t, rep.OK)
	assert.Equal(t, 0, res.code)
	t.Logf("lab test %s: %d cases in %.1fs", rep.Lab, len(rep.Cases), rep.Seconds)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
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
