package checks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/restmapper"
	k8stesting "k8s.io/client-go/testing"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

// admissionEnv answers dry-run pod creations with answers[i] in turn (the
// last one again and again), and records that every create was a dry run
// in the grading namespace.
func admissionEnv(t *testing.T, answers ...error) Env {
	t.Helper()
	cs := fake.NewClientset()
	cs.Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"create"}}}},
		{GroupVersion: "scheduling.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "priorityclasses", Kind: "PriorityClass", Verbs: metav1.Verbs{"create"}}}},
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{{Version: "v1", Resource: "pods"}: "PodList"})
	n := 0
	dyn.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c := a.(k8stesting.CreateActionImpl)
		assert.Equal(t, []string{metav1.DryRunAll}, c.CreateOptions.DryRun, "a dry run, never a real create")
		assert.Equal(t, "lab", c.GetNamespace())
		err := answers[min(n, len(answers)-1)]
		n++
		return true, c.GetObject(), err
	})
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	return Env{Clients: &cluster.Clients{Typed: cs, Dynamic: dyn, Mapper: mapper}, Namespace: "lab"}
}

func overBudget(allowed bool, reason string) *spec.AdmissionCheck {
	return &spec.AdmissionCheck{Allowed: allowed, Reason: reason, Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "over-budget", "namespace": "elsewhere"},
	}}
}

func TestAdmission(t *testing.T) {
	podGR := schema.GroupResource{Resource: "pods"}
	quota := apierrors.NewForbidden(podGR, "over-budget", assertErr(`exceeded quota: gpu-budget, requested: requests.nvidia.com/gpu=7, used: requests.nvidia.com/gpu=4, limited: requests.nvidia.com/gpu=6`))
	unknown := apierrors.NewForbidden(podGR, "over-budget", assertErr(`status unknown for quota: gpu-budget, resources: requests.nvidia.com/gpu`))
	run := func(a *spec.AdmissionCheck, answers ...error) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return runAdmission(ctx, admissionEnv(t, answers...), a)
	}

	ev, err := run(overBudget(false, "exceeded quota"), quota)
	require.NoError(t, err)
	assert.Contains(t, ev, "the API server refuses Pod/over-budget")

	// a quota whose status is not computed yet refuses for another reason:
	// asked again until the expected answer
	ev, err = run(overBudget(false, "exceeded quota"), unknown, quota)
	require.NoError(t, err, ev)

	// no quota: accepted, the learner's failure
	_, err = run(overBudget(false, "exceeded quota"), nil)
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "the API server accepts Pod/over-budget (dry run): nothing in namespace lab refuses it")

	// refused, but for another reason
	_, err = run(overBudget(false, "exceeded quota"), unknown)
	require.ErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), `but not because of "exceeded quota"`)

	// expected accepted
	ev, err = run(overBudget(true, ""), nil)
	require.NoError(t, err)
	assert.Contains(t, ev, "accepts")
	_, err = run(overBudget(true, ""), quota)
	require.ErrorAs(t, err, &f)

	// a busy API server is asked again; when it stays busy, the error is
	// the environment's, never the learner's
	_, err = run(overBudget(false, "exceeded quota"), apierrors.NewTooManyRequests("busy", 1), quota)
	require.NoError(t, err)
	_, err = run(overBudget(false, "exceeded quota"), apierrors.NewServiceUnavailable("down"))
	require.Error(t, err)
	assert.False(t, isFailure(err), "an API server that never answered is no verdict: %v", err)

	// a cluster-scoped object is the lab's mistake
	pc := &spec.AdmissionCheck{Object: map[string]any{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": map[string]any{"name": "x"}}}
	_, err = run(pc, nil)
	require.Error(t, err)
	assert.False(t, isFailure(err))
	assert.Contains(t, err.Error(), "cluster-scoped")
}

type assertErr string

func (e assertErr) Error() string { return string(e) }

func isFailure(err error) bool {
	var f *Failure
	return err != nil && errors.As(err, &f)
}
