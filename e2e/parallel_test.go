//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/runner"
)

// gradeInParallelNamespaces grades the k8s-serving solution and two broken
// variants at the same time, each in its own namespace of one session on
// the lab's running cluster. Each result must be what a lone run gives
// (the solution everything, each variant exactly its declared failures;
// the solution's rollouts run on copies of it, as labgrade run grades),
// and no grading may see another's objects, traffic or Events:
//   - no-pdb has no PodDisruptionBudget: the solution's, next door, must
//     not make its pdb check pass;
//   - drift-no-rbac's monitor may not raise Events: the solution's drift
//     alerts, raised at the same time next door, must not make its drift
//     check pass;
//   - every load generator pod sends to its own namespace's Service.
func gradeInParallelNamespaces(t *testing.T, ctx context.Context, labDir string) {
	l, err := lab.Load(labDir)
	require.NoError(t, err)
	variants, err := lab.Variants(l)
	require.NoError(t, err)
	type sub struct {
		name, dir, ns string
		want          []string
		verdict       result.Verdict
		res           *result.Result
	}
	subs := []*sub{{name: "solution", verdict: result.Passed}, {name: "no-pdb"}, {name: "drift-no-rbac"}}
	for _, s := range subs {
		s.dir, s.ns = t.TempDir(), l.Spec.Namespace+"-par-"+s.name
		v := lab.Variant{}
		for _, cand := range variants {
			if cand.Name == s.name {
				v = cand
			}
		}
		require.True(t, s.name == "solution" || v.Name == s.name, "variant %s", s.name)
		s.want, s.verdict = v.Failing, cmp.Or(s.verdict, v.Verdict)
		require.NoError(t, v.Materialize(l, s.dir))
	}

	session, err := runner.Open(ctx, runner.Options{Lab: l, Cluster: runner.ReuseCluster, KeepCluster: true, Progress: os.Stderr})
	require.NoError(t, err)
	defer func() { assert.NoError(t, session.Close()) }()
	c := session.Clients()

	// Record every load generator's target while the gradings run.
	wctx, stopWatch := context.WithCancel(ctx)
	w, err := c.Typed.CoreV1().Pods(metav1.NamespaceAll).Watch(wctx, metav1.ListOptions{})
	require.NoError(t, err)
	// Load generators run in the grader's namespace, labelled with the
	// grading they serve.
	targets := map[string][]string{} // grading namespace -> -target values
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type != watch.Added {
				continue
			}
			for _, ctr := range p.Spec.Containers {
				for i, a := range ctr.Args {
					if a == "-target" && i+1 < len(ctr.Args) {
						grading := p.Labels["labgrade.dev/grading"]
						targets[grading] = append(targets[grading], ctr.Args[i+1])
					}
				}
			}
		}
	}()

	// dropped even when an assertion below stops the test: their pods
	// would take the node's CPU from the lab test that follows
	defer func() {
		for _, s := range subs {
			session.DropNamespace(s.ns)
		}
	}()
	step := stepper(t)
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// the solution's rollouts run on copies of it, beside its other
			// checks (labgrade run's way), the variants' one after another
			s.res = session.Grade(ctx, runner.Grading{Namespace: s.ns, Submission: s.dir, Name: s.name, Setup: runner.Fresh, Copies: s.name == "solution"})
		}()
	}
	wg.Wait()
	stopWatch()
	w.Stop()
	<-watched
	step("three gradings")

	for _, s := range subs {
		require.Empty(t, s.res.EnvironmentError, s.name)
		assert.Equal(t, s.ns, s.res.Namespace)
		assert.Equal(t, s.name, s.res.Submission)
		assert.ElementsMatch(t, s.want, s.res.Failing(), "%s fails exactly what it declares: %v", s.name, failingWithMessages(s.res))
		assert.Equal(t, s.verdict, s.res.Verdict, "%s: %v", s.name, failingWithMessages(s.res))
		require.NotEmpty(t, targets[s.ns], "%s: its checks sent traffic", s.name)
		for _, target := range targets[s.ns] {
			assert.Contains(t, target, "."+s.ns+".svc", "%s: a load generator sends to another namespace", s.name)
		}
		t.Logf("%-14s %6.1fs  score %d/%d", s.name, s.res.DurationSeconds, s.res.Score, s.res.MaxScore)
	}
	// The solution's two rollouts ran on its copies, each sending traffic
	// to its own copy; the copies are gone with the grading.
	solution := subs[0]
	for i, id := range []string{"rollout-under-traffic", "rollout-halts"} {
		copyNS := fmt.Sprintf("%s-copy%d", solution.ns, i+1)
		for _, ch := range solution.res.Checks {
			if ch.ID == id {
				assert.Contains(t, ch.Message, "on a copy of the submission in namespace "+copyNS, id)
			}
		}
		require.NotEmpty(t, targets[copyNS], "%s: its traffic", copyNS)
		for _, target := range targets[copyNS] {
			assert.Contains(t, target, "."+copyNS+".svc")
		}
		ns, err := c.Typed.CoreV1().Namespaces().Get(ctx, copyNS, metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil, "%s is dropped with the grading", copyNS)
	}
	// The no-pdb namespace has no PDB, though the solution's is next door.
	pdbs, err := c.Typed.PolicyV1().PodDisruptionBudgets(subs[1].ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, pdbs.Items)
}

func failingWithMessages(r *result.Result) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		if c.Outcome != result.Pass {
			out[c.ID] = c.Message
		}
	}
	return out
}
