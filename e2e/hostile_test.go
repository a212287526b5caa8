//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// TestHostileSubmissions grades every submission of e2e/testdata/hostile/
// (each the honest good.yaml plus one evil.yaml) at the same time, each in
// its own sandboxed namespace of one cluster. For each: the evil object
// is refused by name (by labgrade before applying, or by the API server:
// RBAC escalation checks, Pod Security admission, the LimitRange and the
// quota), the run does not pass, nothing cluster-wide or in kube-system
// changed, the reports parse and carry no foreign workflow command; and
// an honest submission graded afterwards on the same cluster passes.
func TestHostileSubmissions(t *testing.T) {
	t.Parallel() // its own cluster: runs beside TestLabK8sServing (see there)
	lane(t, 98)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	step := stepper(t)
	s := openLabSession(t, ctx, "sandbox-demo")
	step("cluster")

	hostileDir := filepath.Join(repoRoot, "e2e", "testdata", "hostile")
	entries, err := os.ReadDir(hostileDir)
	require.NoError(t, err)
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, e.Name())
		}
	}
	require.GreaterOrEqual(t, len(cases), 15)

	before := snapshot(t, ctx, s.Clients())
	results := make([]*result.Result, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-" + c, Submission: filepath.Join(hostileDir, c), Name: c, Setup: runner.Fresh})
		}()
	}
	wg.Wait()
	step("hostile gradings")

	for i, c := range cases {
		t.Run(c, func(t *testing.T) {
			res := results[i]
			require.Empty(t, res.EnvironmentError, "a hostile submission is the learner's problem, never the environment's")
			objs, err := apply.Read(filepath.Join(hostileDir, c, "evil.yaml"))
			require.NoError(t, err)
			require.Len(t, objs, 1)
			evil := objs[0].Ref()
			var refused []string
			for _, r := range res.Refused {
				refused = append(refused, r.String())
			}
			assert.True(t, containsObject(res.Refused, evil), "%s refused by name; refused: %v; problems: %v", evil, refused, res.Problems)
			assert.False(t, res.Passed)
			assert.Equal(t, result.NotPassed, res.Verdict)
			assert.Equal(t, 1, res.ExitCode())
			assert.Equal(t, "pass", string(res.Checks[0].Outcome), "the honest part is still graded")
			pods, err := s.Clients().Typed.CoreV1().Pods(res.Namespace).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			assert.Empty(t, pods.Items, "no pod of a hostile submission ran")

			var out bytes.Buffer
			require.NoError(t, report.Emit(&out, res, report.Options{Format: "json"}))
			var back map[string]any
			assert.NoError(t, json.Unmarshal(out.Bytes(), &back))
			out.Reset()
			require.NoError(t, report.JUnit(&out, res))
			var suites struct {
				Failures int `xml:"failures,attr"`
			}
			assert.NoError(t, xml.Unmarshal(out.Bytes(), &suites), "JUnit is well-formed XML")
			assert.Positive(t, suites.Failures, "a refusal is a failed testcase, not a green run")
			assert.Contains(t, out.String(), `type="refused"`)
			out.Reset()
			require.NoError(t, report.Gradescope(&out, res))
			var gs map[string]any
			assert.NoError(t, json.Unmarshal(out.Bytes(), &gs), "Gradescope results.json parses")
			assert.IsType(t, []any{}, gs["tests"], "tests is a list")
			out.Reset()
			require.NoError(t, report.Emit(&out, res, report.Options{Format: "text"}))
			assert.Contains(t, out.String(), evil, "the scorecard names the refused object")
			for _, line := range strings.Split(out.String(), "\n") {
				assert.False(t, strings.HasPrefix(strings.TrimSpace(line), "::"), "workflow command in the scorecard: %q", line)
			}
		})
	}

	// Files a reader must not follow or open: a link out of the submission
	// (to a file that holds a secret) and a FIFO, which would block a read
	// for ever. git holds neither, so they are made here.
	files := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(hostileDir, "good.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(files, "good.yaml"), raw, 0o644))
	secret := filepath.Join(t.TempDir(), "secret.yaml")
	require.NoError(t, os.WriteFile(secret, []byte("password: hunter2-e2e\n"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(files, "secrets.yaml")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(files, "x.yaml"), 0o644))
	fctx, fcancel := context.WithTimeout(ctx, time.Minute)
	res := s.Grade(fctx, runner.Grading{Namespace: "sandbox-demo-files", Submission: files, Name: "files", Setup: runner.Fresh})
	fcancel()
	require.Empty(t, res.EnvironmentError)
	assert.Equal(t, result.NotPassed, res.Verdict, "refused files stop a pass")
	var refusedFiles []string
	for _, r := range res.Refused {
		refusedFiles = append(refusedFiles, filepath.Base(r.File))
	}
	assert.Contains(t, refusedFiles, "secrets.yaml")
	assert.Contains(t, refusedFiles, "x.yaml")
	var out bytes.Buffer
	require.NoError(t, report.Emit(&out, res, report.Options{Format: "json"}))
	assert.NotContains(t, out.String(), "hunter2", "the linked file was never read")
	step("link and FIFO refused")

	after := snapshot(t, ctx, s.Clients())
	assert.Equal(t, before, after, "nothing outside the grading namespaces changed")

	// A finalizer nobody serves must not block the next grading of the
	// same namespace.
	ns := "sandbox-demo-finalizer"
	res = s.Grade(ctx, runner.Grading{Namespace: ns, Submission: filepath.Join(repoRoot, "e2e", "testdata", "hostile-later", "finalizer"), Name: "finalizer", Setup: runner.Fresh})
	require.Empty(t, res.EnvironmentError)
	cm, err := s.Clients().Typed.CoreV1().ConfigMaps(ns).Get(ctx, "learner", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"evil.example.com/never"}, cm.Finalizers, "the finalizer is really there")
	step("finalizer applied")

	good := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(good, "good.yaml"), raw, 0o644))
	res = s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-honest", Submission: good, Name: "honest", Setup: runner.Fresh})
	assert.Equal(t, result.Passed, res.Verdict, "the next grading on the same cluster is unaffected: %+v %v", res.Refused, res.Problems)
	res = s.Grade(ctx, runner.Grading{Namespace: ns, Submission: good, Name: "after-finalizer", Setup: runner.Fresh})
	assert.Equal(t, result.Passed, res.Verdict, "a namespace held by a finalizer is emptied for the next grading: %s %+v", res.EnvironmentError, res.Problems)
	step("honest grading after")

	// A cluster-scoped kind the lab allows: applied by labgrade within the
	// lab's rules, held by one grading at a time, gone with the grading.
	t.Run("allowed-cluster-scoped", func(t *testing.T) {
		sub := filepath.Join(repoRoot, "e2e", "testdata", "hostile-later", "allowed-priorityclass")
		pcs := s.Clients().Typed.SchedulingV1().PriorityClasses()
		res := s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-allowed-a", Submission: sub, Name: "allowed-a", Setup: runner.Fresh})
		require.Equal(t, result.Passed, res.Verdict, "%+v %v", res.Refused, res.Problems)
		pc, err := pcs.Get(ctx, "sandbox-demo-team-batch", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "sandbox-demo-allowed-a", pc.Labels[runner.GradingLabel])
		quota, err := s.Clients().Typed.CoreV1().ResourceQuotas("sandbox-demo-allowed-a").Get(ctx, "team-gpus", metav1.GetOptions{})
		require.NoError(t, err, "an allowed namespaced kind is applied into the grading's namespace")
		assert.Equal(t, "sandbox-demo-allowed-a", quota.Labels[runner.GradingLabel])

		refused := s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-allowed-c", Submission: filepath.Join(repoRoot, "e2e", "testdata", "hostile-later", "allowed-quota-refused"), Name: "allowed-c", Setup: runner.Fresh})
		assert.Equal(t, result.NotPassed, refused.Verdict)
		assert.True(t, containsObject(refused.Refused, "ResourceQuota/squat"), "another namespace: %+v", refused.Refused)
		assert.True(t, containsObject(refused.Refused, "ResourceQuota/no-pods"), "the lab's rule: %+v", refused.Refused)
		_, err = s.Clients().Typed.CoreV1().ResourceQuotas("kube-system").Get(ctx, "squat", metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "nothing applied in kube-system: %v", err)
		s.DropNamespace("sandbox-demo-allowed-c")

		res = s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-allowed-b", Submission: sub, Name: "allowed-b", Setup: runner.Fresh})
		assert.Equal(t, result.NotPassed, res.Verdict, "a name another grading holds is refused")
		assert.True(t, containsObject(res.Refused, "PriorityClass/sandbox-demo-team-batch"), "%+v", res.Refused)
		pc, err = pcs.Get(ctx, "sandbox-demo-team-batch", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "sandbox-demo-allowed-a", pc.Labels[runner.GradingLabel], "never overwritten")

		s.DropNamespace("sandbox-demo-allowed-a")
		_, err = pcs.Get(ctx, "sandbox-demo-team-batch", metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "the grading's PriorityClass went with it: %v", err)
		res = s.Grade(ctx, runner.Grading{Namespace: "sandbox-demo-allowed-b", Submission: sub, Name: "allowed-b-again", Setup: runner.Fresh})
		assert.Equal(t, result.Passed, res.Verdict, "%+v %v", res.Refused, res.Problems)
		s.DropNamespace("sandbox-demo-allowed-b")
		assert.Equal(t, before, snapshot(t, ctx, s.Clients()), "nothing cluster-wide is left")
	})
	step("allowed cluster-scoped kind")

	t.Run("multi-tenancy-profile-level-1", func(t *testing.T) {
		profileLevel1(t, ctx, s.Clients(), "sandbox-demo-honest", "sandbox-demo-files")
	})
	step("multi-tenancy benchmark, profile level 1")
}

func containsObject(rs []result.Refusal, obj string) bool {
	for _, r := range rs {
		if r.Object == obj {
			return true
		}
	}
	return false
}

// snapshot names every cluster-scoped object of the kinds a hostile
// submission tries to create, and kube-system's workloads and bindings
// (the grading namespaces themselves left out).
func snapshot(t *testing.T, ctx context.Context, c *cluster.Clients) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	list := func(gvr schema.GroupVersionResource, ns string) {
		items, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err, gvr.String())
		var names []string
		for _, it := range items.Items {
			if gvr.Resource == "namespaces" && strings.HasPrefix(it.GetName(), "sandbox-demo-") {
				continue
			}
			names = append(names, it.GetName())
		}
		sort.Strings(names)
		out[ns+"/"+gvr.Resource] = names
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
		{Version: "v1", Resource: "namespaces"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"},
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
		{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"},
	} {
		list(gvr, "")
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	} {
		list(gvr, "kube-system")
	}
	return out
}
