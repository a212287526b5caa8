//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/cluster"
)

// TestCheckWatch is the learner's loop: labgrade check --watch grades the
// submission, then grades again when a file changes and prints only the
// checks whose outcome changed, until Ctrl-C.
func TestCheckWatch(t *testing.T) {
	t.Parallel() // its own cluster: runs beside TestLabK8sServing (see there)
	lane(t, 61)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	labs := filepath.Join(repoRoot, "e2e", "testdata", "labs")
	t.Cleanup(func() {
		labgrade(t, context.Background(), "down", "watch-demo", "--labs-dir", labs)
		assertNoClusterContainers(t, "labgrade-watch-demo")
	})
	res := labgrade(t, ctx, "up", "watch-demo", "--labs-dir", labs)
	require.Equal(t, 0, res.code, res.stderr)

	sub := t.TempDir()
	answer := func(v string) {
		require.NoError(t, os.WriteFile(filepath.Join(sub, "answer.yaml"),
			[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: answer}\ndata: {answer: \""+v+"\"}\n"), 0o644))
	}
	answer("41")
	cmd := exec.CommandContext(ctx, labgradeBin, "check", "watch-demo", "--labs-dir", labs, "--submission", sub, "--watch")
	cmd.Env = append(os.Environ(), cluster.EnvNodeImage+"="+nodeImage)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())

	lines := make(chan string, 100)
	var all strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			all.WriteString(sc.Text() + "\n")
			mu.Unlock()
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "output ended before %q; stderr:\n%s", what, stderr.String())
				if strings.Contains(l, what) {
					return
				}
			case <-deadline:
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("no %q in output:\n%s", what, all.String())
			}
		}
	}
	waitFor("watching " + sub)
	answer("42")
	waitFor("✓ answer: fail -> pass")
	waitFor("score 1/1 (was 0)")

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	for range lines { // the rest of the output, until labgrade exits
	}
	err = cmd.Wait()
	assert.NoError(t, err, "Ctrl-C ends the watch with exit 0; stderr:\n%s", stderr.String())
	mu.Lock()
	defer mu.Unlock()
	// the first scorecard, then one line for the one change
	assert.Equal(t, 2, strings.Count(all.String(), "The ConfigMap answer holds the answer"), all.String())
	mu.Unlock()

	// The same lab graded as CI does it, with a wrong answer: every CI
	// output names the failure, and the staff artifacts hold the object.
	answer("41")
	out := t.TempDir()
	summary := filepath.Join(out, "summary.md")
	res = labgradeEnv(t, ctx, []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary},
		"check", "watch-demo", "--labs-dir", labs, "--submission", sub, "--ci",
		"--gradescope", filepath.Join(out, "results.json"), "--junit", filepath.Join(out, "junit.xml"), "--artifacts", filepath.Join(out, "staff"))
	require.Equal(t, 1, res.code, res.stderr)
	assert.NotContains(t, res.stdout, "\x1b[", "no colour in CI")
	assert.Contains(t, res.stderr, "::error file="+filepath.Join(sub, "answer.yaml")+",line=1,title=The ConfigMap answer holds the answer (0/1)::")
	md, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| ❌ | 0/1 | The ConfigMap answer holds the answer *(required)*")
	gs, err := os.ReadFile(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	assert.Contains(t, string(gs), `"status": "failed"`)
	diag, err := os.ReadFile(filepath.Join(out, "staff", "diagnostics", "answer.json"))
	require.NoError(t, err)
	assert.Contains(t, string(diag), `"answer": "41"`, "the object as the API server has it")
	assert.NotContains(t, string(diag), "managedFields")
	mu.Lock()
}
