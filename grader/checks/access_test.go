package checks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/restmapper"
	k8stesting "k8s.io/client-go/testing"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

// rbac is what the fake API server's authorizer allows: one user's
// requests, "verb resource" in a namespace, with RBAC's reason.
type rbac map[string]string

// accessEnv is a cluster that serves events, secrets and deployments, and
// answers SubjectAccessReviews from allow. asked records every review.
func accessEnv(t *testing.T, allow rbac, asked *[]authzv1.SubjectAccessReviewSpec) Env {
	t.Helper()
	cs := fake.NewClientset()
	cs.Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "events", Kind: "Event", Namespaced: true, Verbs: metav1.Verbs{"create", "list"}},
			{Name: "secrets", Kind: "Secret", Namespaced: true, Verbs: metav1.Verbs{"get", "list"}},
		}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "deployments", Kind: "Deployment", Namespaced: true, Verbs: metav1.Verbs{"get", "patch"}},
		}},
	}
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview).DeepCopy()
		*asked = append(*asked, r.Spec)
		at := r.Spec.ResourceAttributes
		key := r.Spec.User + " " + at.Namespace + " " + at.Verb + " " + at.Resource
		if at.Group != "" {
			key += "." + at.Group
		}
		reason, ok := allow[key]
		r.Status = authzv1.SubjectAccessReviewStatus{Allowed: ok, Reason: reason}
		return true, r, nil
	})
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	return Env{Clients: &cluster.Clients{Typed: cs, Mapper: mapper}, Namespace: "lab"}
}

const monitorSA = "system:serviceaccount:lab:drift-monitor"

var monitorAccess = &spec.AccessCheck{ServiceAccount: "drift-monitor", Expect: []spec.AccessRequest{
	{Verb: "create", Resource: "events", Allowed: true},
	{Verb: "list", Resource: "secrets", Allowed: false},
}}

func TestAccess(t *testing.T) {
	t.Run("every answer as expected", func(t *testing.T) {
		var asked []authzv1.SubjectAccessReviewSpec
		env := accessEnv(t, rbac{monitorSA + " lab create events": `RBAC: allowed by RoleBinding "events/lab"`}, &asked)
		evidence, err := runAccess(context.Background(), env, monitorAccess)
		require.NoError(t, err)
		assert.Equal(t, "service account drift-monitor in namespace lab can create events, cannot list secrets", evidence)
		require.Len(t, asked, 2, "one review per row")
		assert.Equal(t, monitorSA, asked[0].User, "asked as the account's pods are authorized")
		assert.Equal(t, []string{"system:serviceaccounts", "system:serviceaccounts:lab", "system:authenticated"}, asked[0].Groups)
		assert.Equal(t, authzv1.ResourceAttributes{Namespace: "lab", Verb: "list", Resource: "secrets"}, *asked[1].ResourceAttributes)
	})
	t.Run("too much and too little", func(t *testing.T) {
		var asked []authzv1.SubjectAccessReviewSpec
		env := accessEnv(t, rbac{monitorSA + " lab list secrets": `RBAC: allowed by ClusterRoleBinding "everything"`}, &asked)
		ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
		defer cancel()
		_, err := runAccess(ctx, env, monitorAccess)
		assertFailure(t, err, `service account drift-monitor in namespace lab cannot create events, expected allowed; `+
			`can list secrets, expected denied (RBAC: allowed by ClusterRoleBinding "everything")`)
		assert.GreaterOrEqual(t, len(asked), 4, "asked again until the check's time was up")
	})
	// RBAC's cache takes a moment to see a new binding: the answers that
	// count are the first that are all as expected, within the timeout.
	t.Run("a binding honoured late", func(t *testing.T) {
		var asked []authzv1.SubjectAccessReviewSpec
		env := accessEnv(t, rbac{}, &asked)
		rounds := 0
		env.Clients.Typed.(*fake.Clientset).PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			review := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview).DeepCopy()
			rounds++
			review.Status.Allowed = review.Spec.ResourceAttributes.Verb == "create" && rounds > 4
			return true, review, nil
		})
		evidence, err := runAccess(context.Background(), env, monitorAccess)
		require.NoError(t, err)
		assert.Contains(t, evidence, "can create events")
		assert.Equal(t, 6, rounds, "three rounds of two questions")
	})
	t.Run("another namespace, a group, a name", func(t *testing.T) {
		var asked []authzv1.SubjectAccessReviewSpec
		env := accessEnv(t, rbac{"system:serviceaccount:ops:deployer ops patch deployments.apps": "RBAC: allowed"}, &asked)
		evidence, err := runAccess(context.Background(), env, &spec.AccessCheck{ServiceAccount: "deployer", Namespace: "ops", Expect: []spec.AccessRequest{
			{Verb: "patch", Group: "apps", Resource: "deployments", Name: "web", Allowed: true},
			{Verb: "get", Resource: "secrets", Name: "tls", Allowed: false},
		}})
		require.NoError(t, err)
		assert.Equal(t, "service account deployer in namespace ops can patch deployments.apps web, cannot get secrets tls", evidence)
		assert.Equal(t, "ops", asked[0].ResourceAttributes.Namespace)
		assert.Equal(t, "web", asked[0].ResourceAttributes.Name)
	})
}

// What says nothing of the learner's work is an error, not a failure: a
// resource the cluster does not serve (RBAC would deny it whatever the
// roles) and an API server that does not answer.
func TestAccessErrors(t *testing.T) {
	var asked []authzv1.SubjectAccessReviewSpec
	env := accessEnv(t, rbac{}, &asked)
	var f *Failure
	for resource, want := range map[string]string{
		"sercets": `the cluster serves no resource "sercets" in group ""`,
		"secret":  `the lab asks about list secret, which RBAC can never allow: RBAC calls the resource "secrets"`,
	} {
		_, err := runAccess(context.Background(), env, &spec.AccessCheck{ServiceAccount: "sa", Expect: []spec.AccessRequest{
			{Verb: "list", Resource: resource, Allowed: false},
		}})
		require.Error(t, err, resource)
		assert.NotErrorAs(t, err, &f, resource)
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, asked, "nothing asked about a resource RBAC cannot match")

	env.Clients.Typed.(*fake.Clientset).PrependReactor("create", "subjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	_, err := runAccess(context.Background(), env, monitorAccess)
	require.Error(t, err)
	assert.NotErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "asking the API server whether service account drift-monitor in namespace lab may create events: connection refused")
}
