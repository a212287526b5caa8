//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/batch"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/faults"
	"github.com/labgrade/labgrade/grader/lab"
)

// batchLab is k8s-serving under another name, so that the batch test has
// a kind cluster of its own (labgrade-<lab name>) and runs beside
// TestLabK8sServing, which owns labgrade-k8s-serving.
const batchLab = "k8s-serving-batch"

// hostileBatchID is a directory name a learner could choose: a
// spreadsheet formula and markup.
const hostileBatchID = `=cmd|' calc'!A0 <img src=x onerror=alert(1)>`

// TestBatch grades a small class of k8s-serving with labgrade batch on
// real kind, the quick checks only (the slow ones are proven by lab test):
// the solution, a broken variant, a hostile submission (the solution plus
// a privileged pod and a cluster-admin binding, under an id that is a
// formula and markup) and one whose first attempt meets an environment
// error (injected), which is retried in a fresh namespace. The reports
// parse and agree; a rerun keeps every grade without touching the
// cluster; Ctrl-C mid-batch exits 2, deletes every grading namespace and
// writes the summary of what was done.
func TestBatch(t *testing.T) {
	t.Parallel() // its own cluster: runs beside TestLabK8sServing
	lane(t, 93)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	step := stepper(t)
	labs := batchLabCopy(t)
	name := cluster.ClusterName(batchLab)
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", batchLab)
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, name)
	})

	l, err := lab.Load(filepath.Join(labs, batchLab))
	require.NoError(t, err)
	subs := t.TempDir()
	variants, err := lab.Variants(l)
	require.NoError(t, err)
	materialize := func(id, variant string) string {
		dir := filepath.Join(subs, id)
		v := lab.Variant{}
		for _, c := range variants {
			if c.Name == variant {
				v = c
			}
		}
		require.Equal(t, variant, v.Name)
		require.NoError(t, v.Materialize(l, dir))
		return dir
	}
	solution := materialize("solution", "")
	broken := materialize("no-probes", "no-probes")
	hostile := materialize(hostileBatchID, "")
	for file, src := range map[string]string{"evil-pod.yaml": "privileged-pod", "evil-crb.yaml": "crb-cluster-admin"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "e2e", "testdata", "hostile", src, "evil.yaml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(hostile, file), raw, 0o644))
	}
	flaky := materialize("flaky", "")
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"batch", batchLab, "--labs-dir", labs, solution, broken, hostile, flaky, "--out", out, "--quick", "--keep", "--parallel", "4"}

	t.Run("grade", func(t *testing.T) {
		res := labgradeEnv(t, ctx, []string{faults.EnvVar + "=" + batch.FaultPoint + ":flaky=1"}, args...)
		require.Equal(t, 0, res.code, "stderr:\n%s", res.stderr)
		t.Logf("batch of 4 (cluster, images and gradings) in %.1fs", res.took.Seconds())
		step("batch")

		sum := readSummary(t, out)
		assert.Equal(t, batch.Counts{Total: 4, Graded: 4, Partial: 2, NotPassed: 2}, sum.Counts)
		byID := map[string]*batch.Entry{}
		expected := map[string]batch.Outcome{"solution": batch.Partial, "no-probes": batch.NotPassed, hostileBatchID: batch.NotPassed, "flaky": batch.Partial}
		for _, e := range sum.Submissions {
			byID[e.ID] = e
			t.Logf("%-50q %-10s %v/%v attempts %d %.1fs failed %v", e.ID, e.Outcome, deref(e.Score), deref(e.MaxScore), e.Attempts, e.Seconds, e.Failed)
			if e.Outcome != expected[e.ID] { // why, from its own scorecard
				t.Logf("%q is %s, not %s; its scorecard:\n%s", e.ID, e.Outcome, expected[e.ID], readFile(t, filepath.Join(out, e.ID), "scorecard.txt"))
			}
		}
		assert.Equal(t, expected["solution"], byID["solution"].Outcome, "every quick check passes: a partial grade")
		assert.Equal(t, batch.NotPassed, byID["no-probes"].Outcome)
		assert.ElementsMatch(t, []string{"deploy-readiness-probe", "deploy-liveness-probe"}, byID["no-probes"].Failed)
		assert.Equal(t, batch.NotPassed, byID[hostileBatchID].Outcome, "what was refused stops a pass")
		assert.GreaterOrEqual(t, byID[hostileBatchID].Refused, 2, "the privileged pod and the binding are refused")
		assert.Equal(t, batch.Partial, byID["flaky"].Outcome, "an environment error is retried")
		assert.Equal(t, 2, byID["flaky"].Attempts)
		assert.Equal(t, batch.Namespace(l.Spec.Namespace, "flaky", 2), byID["flaky"].Namespace, "in a fresh namespace")
		for _, e := range sum.Submissions {
			if e.ID != "flaky" {
				assert.Equal(t, 1, e.Attempts, e.ID)
			}
		}

		// every file parses, and says what the summary says
		for _, e := range sum.Submissions {
			dir := filepath.Join(out, e.ID)
			var r struct {
				Submission string `json:"submission"`
				Score      int    `json:"score"`
			}
			require.NoError(t, json.Unmarshal(readFile(t, dir, "result.json"), &r), e.ID)
			assert.Equal(t, e.ID, r.Submission)
			assert.Equal(t, *e.Score, r.Score, e.ID)
			require.NoError(t, xml.Unmarshal(readFile(t, dir, "junit.xml"), new(struct{})), e.ID)
			assert.NotContains(t, string(readFile(t, dir, "scorecard.txt")), "\x1b", "plain text")
			assert.Contains(t, string(readFile(t, dir, "diagnostics.txt")), "outcome:    "+string(e.Outcome))
			assert.NoFileExists(t, filepath.Join(dir, "results.json"), "a partial grade is no Gradescope grade")
		}
		rows, err := csv.NewReader(bytes.NewReader(readFile(t, out, "summary.csv"))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 5)
		assert.Equal(t, batch.CSVHeader, rows[0])
		assert.Equal(t, "'"+hostileBatchID, rows[3][0], "the id is text, not a formula")
		md := string(readFile(t, out, "summary.md"))
		assert.NotContains(t, md, "<img")
		page := string(readFile(t, out, "index.html"))
		assert.NotContains(t, page, "<img")
		assert.Equal(t, 2, strings.Count(page, "<script"), "the page's own scripts only")
	})

	t.Run("rerun-keeps-grades", func(t *testing.T) {
		res := labgrade(t, ctx, args...)
		require.Equal(t, 0, res.code, "stderr:\n%s", res.stderr)
		assert.Contains(t, res.stderr, "4 already graded (kept")
		assert.NotContains(t, res.stderr, "cluster", "nothing to grade: the cluster is not touched")
		assert.Equal(t, 4, readSummary(t, out).Counts.Resumed)
		t.Logf("rerun in %.1fs", res.took.Seconds())
		step("rerun")
	})

	t.Run("interrupt", func(t *testing.T) {
		interruptBatch(t, ctx, name, l.Spec.Namespace, append(args, "--force", "--parallel", "2"), out)
		step("interrupt")
	})
}

// interruptBatch sends SIGINT once two gradings run, and requires exit 2,
// a summary that says interrupted, and every grading namespace deleted.
func interruptBatch(t *testing.T, ctx context.Context, clusterName, labNamespace string, args []string, out string) {
	cmd := exec.CommandContext(ctx, labgradeBin, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), cluster.EnvNodeImage+"="+nodeImage)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	require.NoError(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 3*time.Minute, true, func(context.Context) (bool, error) {
		return strings.Count(stderr.String(), "submission: applied") >= 2, nil
	}), "two gradings never got under way; stderr: %s", stderr.String())
	t.Logf("two gradings under way after %.1fs; sending SIGINT", time.Since(start).Seconds())
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", stderr.String())
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, stderr.String(), "interrupted")
	assert.NotContains(t, stderr.String(), "panic")
	t.Logf("exited %d after %.1fs", ee.ExitCode(), time.Since(start).Seconds())

	sum := readSummary(t, out)
	assert.True(t, sum.Interrupted)
	assert.Less(t, sum.Counts.Graded, 4, "not everything was graded")
	assert.Positive(t, sum.Counts.Interrupted+sum.Counts.NotRun)

	// labgrade deletes a namespace and does not wait for its pods to end
	// (their grace periods are the cluster's business): at exit every
	// grading namespace is gone or being deleted.
	c, err := cluster.Connect(cluster.KubeconfigPath(clusterName), cluster.Context(clusterName))
	require.NoError(t, err)
	nss, err := c.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	graded := 0
	for _, ns := range nss.Items {
		if strings.HasPrefix(ns.Name, labNamespace+"-") {
			graded++
			assert.NotNil(t, ns.DeletionTimestamp, "grading namespace %s left behind (%s)", ns.Name, ns.Status.Phase)
		}
	}
	assert.GreaterOrEqual(t, graded, 2, "the two gradings' namespaces are being deleted")
	t.Logf("%d grading namespaces still terminating at exit, none left active", graded)
}

// batchLabCopy writes labs/k8s-serving as labs/k8s-serving-batch into a
// temporary labs directory. Its images are still built from the
// repository's fixtures, by a relative path to their real place: the
// build must find the repository's go.mod above it.
func batchLabCopy(t *testing.T) string {
	t.Helper()
	labs := filepath.Join(t.TempDir(), "labs")
	src := filepath.Join(repoRoot, "labs", "k8s-serving")
	dst := filepath.Join(labs, batchLab)
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	file := filepath.Join(dst, "lab.yaml")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	renamed := strings.Replace(string(raw), "\n  name: k8s-serving\n", "\n  name: "+batchLab+"\n", 1)
	require.NotEqual(t, string(raw), renamed, "metadata.name of k8s-serving")
	toRepo, err := filepath.Rel(dst, repoRoot)
	require.NoError(t, err)
	rebased := strings.ReplaceAll(renamed, "../../fixtures/", filepath.ToSlash(toRepo)+"/fixtures/")
	require.NotEqual(t, renamed, rebased, "image builds and reference data from ../../fixtures")
	require.NoError(t, os.WriteFile(file, []byte(rebased), 0o644))
	return labs
}

func readSummary(t *testing.T, out string) *batch.Summary {
	t.Helper()
	var s batch.Summary
	require.NoError(t, json.Unmarshal(readFile(t, out, "summary.json"), &s))
	return &s
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return b
}

func deref(p *int) any {
	if p == nil {
		return "-"
	}
	return *p
}

// syncBuffer is a buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
